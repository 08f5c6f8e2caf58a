"""The bid manager's tables on its SQLite file, ``bidmanager.sqlite3``, beside the book's journal.

``bids`` (each bid, its state and current order), ``bid_orders`` (every order a
bid has stood as, so a match on an older generation still finds its bid),
``removals`` (removals that overtook their bid), ``matches`` (pairs sent to the
marketplace), ``refused_matches`` (pairs the marketplace refused: never sent again),
``progress`` (the last journal step handled) and ``log``. The
book's journal (:class:`~plaza.market.book.sqlite.SqliteBookStore`) is the
``market_journal`` table of the same file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from plaza.energy.bidmanager.model import Bid, BidRecord, BidState
from plaza.energy.envelope import dumps
from plaza.energy.model import TransactionType
from plaza.energy.store import LOG_SCHEMA, SqlOperationLog
from plaza.sqlite import SqliteFile

__all__ = ["SqliteBidStore"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS bids (
        key TEXT PRIMARY KEY, side TEXT NOT NULL, asset_id TEXT NOT NULL, fields TEXT NOT NULL,
        state TEXT NOT NULL, generation INTEGER NOT NULL, order_id TEXT, reason TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS bids_unbooked ON bids (key) WHERE order_id IS NULL",
    """CREATE TABLE IF NOT EXISTS bid_orders (
        order_id TEXT PRIMARY KEY, key TEXT NOT NULL)""",
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
_BIDS = "SELECT side, fields, state, generation, order_id, reason FROM bids "
_BY_KEY = _BIDS + "WHERE key = ?"
_UNBOOKED = _BIDS + "WHERE order_id IS NULL AND state = 'open' ORDER BY rowid"


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

    def bid_for_order(self, order_id: str) -> BidRecord | None:
        row = self._db.row("SELECT key FROM bid_orders WHERE order_id = ?", (order_id,))
        return None if row is None else self.bid(row[0])

    def save_bid(self, record: BidRecord) -> None:
        bid = record.bid
        with self._db.atomic():
            self._db.execute(
                "INSERT INTO bids VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                "state = excluded.state, generation = excluded.generation, "
                "order_id = excluded.order_id, reason = excluded.reason",
                (
                    bid.key,
                    str(bid.side),
                    bid.asset_id,
                    dumps(bid.fields),
                    str(record.state),
                    record.generation,
                    record.order_id,
                    record.reason,
                ),
            )
            if record.order_id is not None:
                self._db.execute(
                    "INSERT OR IGNORE INTO bid_orders VALUES (?, ?)", (record.order_id, bid.key)
                )

    def unbooked(self) -> list[BidRecord]:
        return [_record(row) for row in self._db.rows(_UNBOOKED)]

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
        for state, count in self._db.rows("SELECT state, COUNT(*) FROM bids GROUP BY state"):
            counts[state] = count
            counts["bids"] += count
        counts["matches"] = self._db.count("SELECT COUNT(*) FROM matches")
        counts["refused_matches"] = self._db.count("SELECT COUNT(*) FROM refused_matches")
        return counts

    def close(self) -> None:
        self._db.close()


def _record(row: tuple[Any, ...]) -> BidRecord:
    side = TransactionType(row[0])
    bid = Bid.parse(json.loads(row[1]), side)
    return BidRecord(bid, BidState(row[2]), row[3], row[4], row[5])
