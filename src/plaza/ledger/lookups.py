"""The tangle's read side: lookups answered by the store alone, outside the writer's lock.

Kept apart from :mod:`plaza.ledger.service` because none of it touches the
in-memory state the writer guards; unknown ids become :class:`NotFound`.
"""

from __future__ import annotations

from collections.abc import Iterable

from plaza.ledger.codec import decode_message
from plaza.ledger.errors import NotFound
from plaza.ledger.holds import HoldRecord
from plaza.ledger.model import Message, MessageMetadata, MilestoneRecord
from plaza.ledger.ports import HistoryEntry, Page, TangleStore

__all__ = ["StoredLookups"]


class StoredLookups:
    _store: TangleStore

    def get_raw(self, message_id: bytes) -> bytes | None:
        """The stored bytes, or None: what a node answers a peer asking for a message."""
        return self._store.get_raw(message_id)

    def known(self, ids: Iterable[bytes]) -> set[bytes]:
        """Which of ``ids`` the node stores, solid or held."""
        return self._store.existing(ids)

    def get_message(self, message_id: bytes) -> Message:
        raw = self._store.get_raw(message_id)
        if raw is None:
            raise NotFound(f"message {message_id.hex()}")
        return decode_message(raw)

    def metadata(self, message_id: bytes) -> MessageMetadata:
        metadata = self._store.metadata(message_id)
        if metadata is None:
            raise NotFound(f"message {message_id.hex()}")
        return metadata

    def children(self, message_id: bytes, *, limit: int = 100) -> list[bytes]:
        return self._store.children(message_id, limit=limit)

    def find_by_tag(self, tag: bytes, *, limit: int = 100, cursor: int | None = None) -> Page:
        return self._store.find_by_tag(tag, limit=limit, cursor=cursor)

    def find_by_address(
        self, address: bytes, *, limit: int = 100, cursor: int | None = None
    ) -> Page:
        return self._store.find_by_address(address, limit=limit, cursor=cursor)

    def history(self, address: bytes, *, limit: int = 100, offset: int = 0) -> list[HistoryEntry]:
        return self._store.history(address, limit=limit, offset=offset)

    def milestone(self, index: int) -> MilestoneRecord:
        record = self._store.milestone(index)
        if record is None:
            raise NotFound(f"milestone {index}")
        return record

    def hold(self, hold_id: bytes) -> HoldRecord:
        """A hold, open or closed, as of the latest milestone."""
        record = self._store.hold(hold_id)
        if record is None:
            raise NotFound(f"hold {hold_id.hex()}")
        return record
