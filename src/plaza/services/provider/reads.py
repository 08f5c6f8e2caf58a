"""The provider's reads of the ledger, several at once.

The desk asks the node about every hold in flight once a milestone comes (is it open
yet? how did it close?), and one question is a round trip: asked one after another,
64 calls in flight cost a loaded node's second. These reads change nothing, so a
small pool asks them side by side and the desk then acts on the answers in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from plaza.ledger.holds import HoldRecord
from plaza.ledger.model import Message, MessageMetadata
from plaza.ledger.ports import LedgerReader

__all__ = ["LedgerReads"]

T = TypeVar("T")
#: Reads in flight at once: enough to hide round trips, few enough not to flood a node.
WORKERS = 8


class LedgerReads:
    """Batches of reads through ``ledger``, answered by key; :meth:`close` after use."""

    def __init__(self, ledger: LedgerReader, *, workers: int = WORKERS) -> None:
        self._ledger = ledger
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="desk-reads")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _each(self, read: Callable[[bytes], T], keys: Sequence[bytes]) -> dict[bytes, T]:
        """``read`` of every key; the first error raised by any is raised here."""
        if len(keys) <= 1:
            return {key: read(key) for key in keys}
        return dict(zip(keys, self._pool.map(read, keys), strict=True))

    def messages(self, ids: Sequence[bytes]) -> dict[bytes, Message | None]:
        return self._each(self._ledger.message, ids)

    def holds(self, hold_ids: Sequence[bytes]) -> dict[bytes, HoldRecord | None]:
        return self._each(self._ledger.hold, hold_ids)

    def metadata(self, ids: Sequence[bytes]) -> dict[bytes, MessageMetadata | None]:
        return self._each(self._ledger.metadata, ids)
