"""The bid manager's tables on its SQLite file, ``bidmanager.sqlite3``, beside the book's journal.

``bid_states`` (each bid's asset, state, reason and generation: its fields and orders
are on the book), ``removals`` (removals that overtook their bid), ``matches`` (pairs
sent to the marketplace), ``refused_matches`` (pairs the marketplace refused: never sent
again), ``progress`` (the last journal step handled) and ``log``. The book's journal
(:class:`~plaza.market.book.sqlite.SqliteBookStore`) is the ``market_journal`` table of
the same file.

A file of the previous version also has ``bids`` (each bid with its fields, state and
current order id) and ``bid_orders`` (every order a bid stood as), its orders carrying no
fields: the bid manager carries those bids over when it starts, then drops both tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from plaza.energy.bidmanager.model import Bid, BidRecord, BidState
from plaza.energy.model import TransactionType
from plaza.energy.store import LOG_SCHEMA, SqlOperationLog
from plaza.sqlite import SqliteFile

__all__ = ["SqliteBidStore"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS bid_states (
        key TEXT PRIMARY KEY, owner TEXT NOT NULL, state TEXT NOT NULL,
        generation INTEGER NOT NULL, reason TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS removals (
        key TEXT PRIMARY KEY, at_ms INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS matches (
        offer_key TEXT NOT NULL, request_key TEXT NOT NULL, at_ms INTEGER NOT NULL,
        PRIMARY KEY (offer_key, request_key))""",
    """CREATE TABLE IF NOT EXISTS refused_matches (
        offer_key TEXT NOT NULL, request_key TEXT NOT NULL, at_ms INTEGER NOT NULL,
        reason TEXT NOT NULL, PRIMARY KEY (offer_key, request_key))""",
    """CREATE TABLE IF NOT EXISTS progress (
        name TEXT PRIMARY KEY, step INTEGER NOT NULL)""",
    LOG_SCHEMA,
)
_BY_KEY = "SELECT key, owner, state, generation, reason FROM bid_states WHERE key = ?"
_LEGACY = "SELECT key, side, asset_id, fields, state, generation, reason FROM bids ORDER BY rowid"
_HAS_LEGACY = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'bids'"


class SqliteBidStore(SqlOperationLog):
    """:class:`~plaza.energy.bidmanager.ports.BidStore` on one SQLite file."""

    _db: SqliteFile

    def __init__(self, path: Path) -> None:
        self._db = SqliteFile(path, _SCHEMA)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._db.atomic():
            yield

    def bid(self, key: str) -> BidRecord | None:
        row = self._db.row(_BY_KEY, (key,))
        return None if row is None else _record(row)

    def save_bid(self, record: BidRecord) -> None:
        self._db.execute(
            "INSERT INTO bid_states VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
            "state = excluded.state, generation = excluded.generation, reason = excluded.reason",
            (record.key, record.owner, str(record.state), record.generation, record.reason),
        )

    def legacy_bids(self) -> list[tuple[BidRecord, Bid]]:
        if self._db.row(_HAS_LEGACY) is None:
            return []
        return [_legacy(row) for row in self._db.rows(_LEGACY)]

    def drop_legacy(self) -> None:
        with self._db.atomic():
            self._db.execute("DROP TABLE IF EXISTS bids")  # and its index, bids_unbooked
            self._db.execute("DROP TABLE IF EXISTS bid_orders")

    def removed(self, key: str) -> bool:
        return self._db.row("SELECT 1 FROM removals WHERE key = ?", (key,)) is not None

    def add_removal(self, key: str, *, now_ms: int) -> None:
        self._db.execute("INSERT OR IGNORE INTO removals VALUES (?, ?)", (key, now_ms))

    def processed_through(self) -> int:
        return self._db.count("SELECT step FROM progress WHERE name = 'journal'")

    def set_processed(self, step: int) -> None:
        self._db.execute(
            "INSERT INTO progress VALUES ('journal', ?) "
            "ON CONFLICT (name) DO UPDATE SET step = excluded.step",
            (step,),
        )

    def add_match(self, offer_key: str, request_key: str, *, now_ms: int) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO matches VALUES (?, ?, ?)", (offer_key, request_key, now_ms)
        )

    def add_refused_match(
        self, offer_key: str, request_key: str, *, reason: str, now_ms: int
    ) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO refused_matches VALUES (?, ?, ?, ?)",
            (offer_key, request_key, now_ms, reason),
        )

    def refused_match(self, offer_key: str, request_key: str) -> bool:
        row = self._db.row(
            "SELECT 1 FROM refused_matches WHERE offer_key = ? AND request_key = ?",
            (offer_key, request_key),
        )
        return row is not None

    def statistics(self) -> dict[str, int]:
        counts = dict.fromkeys(("bids", *(str(state) for state in BidState)), 0)
        for state, count in self._db.rows("SELECT state, COUNT(*) FROM bid_states GROUP BY state"):
            counts[state] = count
            counts["bids"] += count
        counts["matches"] = self._db.count("SELECT COUNT(*) FROM matches")
        counts["refused_matches"] = self._db.count("SELECT COUNT(*) FROM refused_matches")
        return counts

    def close(self) -> None:
        self._db.close()


def _record(row: tuple[Any, ...]) -> BidRecord:
    key, owner, state, generation, reason = row
    return BidRecord(key, owner, BidState(state), generation, reason)


def _legacy(row: tuple[Any, ...]) -> tuple[BidRecord, Bid]:
    """A row of the previous version's ``bids``: the bid's record, and the bid."""
    key, side, owner, fields, state, generation, reason = row
    bid = Bid.parse(json.loads(fields), TransactionType(side))
    return BidRecord(key, owner, BidState(state), generation, reason), bid
