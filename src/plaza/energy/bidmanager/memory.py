"""The bid manager's tables in memory: :class:`~plaza.energy.bidmanager.ports.BidStore` for
tests.

It keeps the SQLite adapter's promises within one process (one contract suite checks
both, ``tests/contract/test_energy_bid_store.py``): :meth:`MemoryBidStore.atomic` lands
all of its writes or none; a bid keeps the fields it was first stored with; every order a
bid stood as finds it; removals, matches and refused matches are each kept once, the
first time. A bid's fields are kept as the JSON text SQLite keeps and parsed again on
every read. ``close`` releases nothing: a "restart" in a test is a new bid manager over
the same store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from plaza.energy.bidmanager.model import Bid, BidRecord, BidState
from plaza.energy.envelope import canonical_json
from plaza.energy.memory import MemoryOperationLog, MemoryTables
from plaza.energy.model import TransactionType

__all__ = ["MemoryBidStore"]


@dataclass(frozen=True, slots=True)
class _Row:
    side: TransactionType
    fields: str  # the seed's fields as JSON text
    state: BidState
    generation: int
    order_id: str | None
    reason: str


@dataclass
class _Tables:
    bids: dict[str, _Row] = field(default_factory=dict)  # in the order first stored
    orders: dict[str, str] = field(default_factory=dict)  # order id to bid key
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
            row = t.bids.get(key)
        return None if row is None else _record(row)

    def bid_for_order(self, order_id: str) -> BidRecord | None:
        with self._tables.read() as t:
            key = t.orders.get(order_id)
            return None if key is None else self.bid(key)

    def save_bid(self, record: BidRecord) -> None:
        bid = record.bid
        with self._tables.write() as t:
            known = t.bids.get(bid.key)
            side, fields = (
                (bid.side, canonical_json(bid.fields).decode())
                if known is None
                else (known.side, known.fields)
            )
            row = _Row(
                side, fields, record.state, record.generation, record.order_id, record.reason
            )
            t.bids[bid.key] = row
            if record.order_id is not None:
                t.orders.setdefault(record.order_id, bid.key)

    def unbooked(self) -> list[BidRecord]:
        with self._tables.read() as t:
            rows = [r for r in t.bids.values() if r.order_id is None and r.state is BidState.OPEN]
        return [_record(row) for row in rows]

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
            for row in t.bids.values():
                counts[str(row.state)] += 1
                counts["bids"] += 1
            counts["matches"] = len(t.matches)
            counts["refused_matches"] = len(t.refused)
        return counts

    def close(self) -> None:
        """Nothing to release."""


def _record(row: _Row) -> BidRecord:
    bid = Bid.parse(json.loads(row.fields), row.side)
    return BidRecord(bid, row.state, row.generation, row.order_id, row.reason)
