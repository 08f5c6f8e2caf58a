"""The bid manager's tables in memory: :class:`~plaza.energy.bidmanager.ports.BidStore` for
tests.

It keeps the SQLite adapter's promises within one process (one contract suite checks
both, ``tests/contract/test_energy_bid_store.py``): :meth:`MemoryBidStore.atomic` lands
all of its writes or none; a bid keeps the owner it was first stored with; removals,
matches and refused matches are each kept once, the first time. ``close`` releases
nothing: a "restart" in a test is a new bid manager over the same store.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from plaza.energy.bidmanager.model import Bid, BidRecord, BidState
from plaza.energy.memory import MemoryOperationLog, MemoryTables

__all__ = ["MemoryBidStore"]


@dataclass
class _Tables:
    bids: dict[str, BidRecord] = field(default_factory=dict)
    removals: dict[str, int] = field(default_factory=dict)
    matches: dict[tuple[str, str], int] = field(default_factory=dict)
    refused: dict[tuple[str, str], str] = field(default_factory=dict)
    processed: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)


class MemoryBidStore(MemoryOperationLog):
    """:class:`~plaza.energy.bidmanager.ports.BidStore` in dicts."""

    def __init__(self) -> None:
        self._tables: MemoryTables[_Tables] = MemoryTables(_Tables())

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._tables.write():
            yield

    def bid(self, key: str) -> BidRecord | None:
        with self._tables.read() as t:
            return t.bids.get(key)

    def save_bid(self, record: BidRecord) -> None:
        with self._tables.write() as t:
            known = t.bids.get(record.key)
            t.bids[record.key] = record if known is None else replace(record, owner=known.owner)

    def legacy_bids(self) -> list[tuple[BidRecord, Bid]]:
        """No previous version kept its bids in memory."""
        return []

    def drop_legacy(self) -> None:
        """Nothing to drop."""

    def removed(self, key: str) -> bool:
        with self._tables.read() as t:
            return key in t.removals

    def add_removal(self, key: str, *, now_ms: int) -> None:
        with self._tables.write() as t:
            t.removals.setdefault(key, now_ms)

    def processed_through(self) -> int:
        with self._tables.read() as t:
            return t.processed

    def set_processed(self, step: int) -> None:
        with self._tables.write() as t:
            t.processed = step

    def add_match(self, offer_key: str, request_key: str, *, now_ms: int) -> None:
        with self._tables.write() as t:
            t.matches.setdefault((offer_key, request_key), now_ms)

    def add_refused_match(
        self, offer_key: str, request_key: str, *, reason: str, now_ms: int
    ) -> None:
        with self._tables.write() as t:
            t.refused.setdefault((offer_key, request_key), reason)

    def refused_match(self, offer_key: str, request_key: str) -> bool:
        with self._tables.read() as t:
            return (offer_key, request_key) in t.refused

    def statistics(self) -> dict[str, int]:
        counts = dict.fromkeys(("bids", *(str(state) for state in BidState)), 0)
        with self._tables.read() as t:
            for record in t.bids.values():
                counts[str(record.state)] += 1
                counts["bids"] += 1
            counts["matches"] = len(t.matches)
            counts["refused_matches"] = len(t.refused)
        return counts

    def close(self) -> None:
        """Nothing to release."""
