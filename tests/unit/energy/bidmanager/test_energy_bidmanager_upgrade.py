"""A ``bidmanager.sqlite3`` the previous version wrote: its bids are carried over at start.

That version kept each bid's fields and order id in a ``bids`` table (and every order a
bid stood as in ``bid_orders``) and booked the orders without attributes, so today's
bid manager could not tell which bid they stand for. The file is written here as it
did (its SQL, its orders booked through the market's book); the bid manager opened on
it books each open bid again with its fields, keeps the others' states, drops the old
tables, and the open offer is then matched and contracted as any other.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from test_energy_bidmanager_matching import MARKETPLACE_URL, Desk

from plaza.bootstrap.energy_modules import open_bidmanager
from plaza.bootstrap.energy_wiring import DEFAULT_VALIDITY_MS
from plaza.energy.bidmanager import Bid
from plaza.energy.bidmanager.model import SEED_FIELDS
from plaza.energy.bidmanager.store import SqliteBidStore
from plaza.energy.bidmanager.upgrade import CARRIED_OVER
from plaza.energy.envelope import ModuleKey, dumps
from plaza.energy.model import TransactionType
from plaza.market.book.service import BidManager
from plaza.market.book.sqlite import SqliteBookStore
from plaza.market.matching import policy_named
from plaza.market.model import NewOrder, Side
from plaza.testing import FakeClock

#: The previous version's own tables (``git show ef0f59b^:src/plaza/energy/bidmanager/store.py``).
OLD_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS bids (
        key TEXT PRIMARY KEY, side TEXT NOT NULL, asset_id TEXT NOT NULL, fields TEXT NOT NULL,
        state TEXT NOT NULL, generation INTEGER NOT NULL, order_id TEXT, reason TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS bids_unbooked ON bids (key) WHERE order_id IS NULL",
    """CREATE TABLE IF NOT EXISTS bid_orders (
        order_id TEXT PRIMARY KEY, key TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS progress (
        name TEXT PRIMARY KEY, step INTEGER NOT NULL)""",
)


@dataclass
class FileDesk(Desk):
    """The desk over a data directory, as the node opens the bid manager."""

    data_dir: Path = field(default_factory=Path)

    def open(self) -> None:
        self.service = open_bidmanager(
            self.data_dir,
            link=self.link,
            queue=self.queue,
            clock=self.clock,
            marketplace_url=MARKETPLACE_URL,
            marketplace_key=ModuleKey.of(self.marketplace),
        )


def seed_bid(side: TransactionType, asset: str, tx_id: str, price: int, now_ms: int) -> Bid:
    """A bid of 1000 Wh as the marketplace forwards it."""
    owner, transaction = SEED_FIELDS[side][:2]
    body: dict[str, Any] = {owner: asset, transaction: tx_id, "energyAmount": 1000}
    body |= {"energyPrice": price, "type": str(side), "timestamp": str(now_ms)}
    if side is TransactionType.OFFER:
        body["walletAddress"] = f"wallet-{asset}"
    return Bid.parse({**body, "additionalDetails": ""}, side)


def old_spec(bid: Bid) -> NewOrder:
    """The previous version's ``_spec``: the bid as an order, without its fields."""
    return NewOrder(
        side=Side(str(bid.side)),
        owner=bid.asset_id,
        kind="energy",
        quantity=bid.energy,
        unit_price=bid.price,
        valid_from_ms=bid.timestamp_ms,
        valid_until_ms=bid.timestamp_ms + DEFAULT_VALIDITY_MS,
    )


@contextmanager
def old_sql(data_dir: Path) -> Iterator[sqlite3.Connection]:
    """The file opened with SQLite itself, as the previous version's tables were written."""
    with closing(sqlite3.connect(data_dir / "bidmanager.sqlite3")) as db, db:
        yield db


def old_book(data_dir: Path, clock: FakeClock) -> tuple[SqliteBookStore, BidManager]:
    """The previous version's tables made, and its book on the file's journal."""
    with old_sql(data_dir) as db:
        for statement in OLD_SCHEMA:
            db.execute(statement)
    journal = SqliteBookStore(data_dir / "bidmanager.sqlite3")
    return journal, BidManager(journal, clock=clock, policy=policy_named("one_to_one"))


def write_old_rows(
    data_dir: Path, rows: list[tuple[Bid, str, str | None, str]], step: int, clock: FakeClock
) -> None:
    """The previous version's records: each bid with its state, order and reason, and the
    journal read through ``step``."""
    with old_sql(data_dir) as db:
        for bid, state, order_id, reason in rows:
            db.execute(
                "INSERT INTO bids VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                (bid.key, str(bid.side), bid.asset_id, dumps(bid.fields), state, order_id, reason),
            )
            if order_id is not None:
                db.execute("INSERT INTO bid_orders VALUES (?, ?)", (order_id, bid.key))
        db.execute("INSERT INTO progress VALUES ('journal', ?)", (step,))
    clock.advance(ms=10)


def write_old_file(data_dir: Path, clock: FakeClock) -> None:
    """The previous version's file: offer o1 open on the book, request r0 booked then
    removed, offer o2 stored but not booked yet (it stopped in between), journal read."""
    now = clock.now_ms()
    o1 = seed_bid(TransactionType.OFFER, "solar", "o1", 10, now)
    r0 = seed_bid(TransactionType.REQUEST, "ev0", "r0", 5, now)
    o2 = seed_bid(TransactionType.OFFER, "wind", "o2", 20, now)
    journal, book = old_book(data_dir, clock)
    o1_order = book.submit_order(old_spec(o1), idempotency_key="offer:o1#0").order
    r0_order = book.submit_order(old_spec(r0), idempotency_key="request:r0#0").order
    book.cancel_order(r0_order.id, participant="ev0")
    step = journal.last_step()
    journal.close()
    rows = [
        (o1, "open", o1_order.id, ""),
        (r0, "removed", r0_order.id, "removed by the marketplace"),
        (o2, "open", None, ""),
    ]
    write_old_rows(data_dir, rows, step, clock)


def tables(data_dir: Path) -> set[str]:
    with old_sql(data_dir) as db:
        return {name for (name,) in db.execute("SELECT name FROM sqlite_master")}


def test_the_open_bids_of_the_previous_version_are_carried_over(tmp_path: Path) -> None:
    clock = FakeClock()
    write_old_file(tmp_path, clock)
    desk = FileDesk("one_to_one", clock=clock, data_dir=tmp_path)
    try:
        assert not {"bids", "bid_orders", "bids_unbooked"} & tables(tmp_path)
        stats = desk.running.statistics()
        assert (stats["bids"], stats["open"], stats["removed"]) == (3, 2, 1)
        assert (stats["book_offers"], stats["book_requests"]) == (2, 0)
        carried = [
            entry["record_id"]
            for entry in desk.running._store.log_entries()
            if entry["detail"] == CARRIED_OVER
        ]
        assert sorted(carried) == ["offer:o1", "offer:o2"]
        desk.request("ev", "r1", 400, 12)
        assert desk.matches() == [("o1", "r1")]
        stats = desk.running.statistics()
        assert (stats["open"], stats["contracted"], stats["book_offers"]) == (1, 2, 1)
    finally:
        desk.running.close()


def test_an_upgrade_that_stopped_midway_runs_again_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    write_old_file(tmp_path, clock)

    def crash(store: SqliteBidStore) -> None:
        raise RuntimeError("the process stopped before the upgrade's transaction ended")

    with monkeypatch.context() as patched:
        patched.setattr(SqliteBidStore, "drop_legacy", crash)
        with pytest.raises(RuntimeError):
            FileDesk("one_to_one", clock=clock, data_dir=tmp_path)
    assert {"bids", "bid_orders"} <= tables(tmp_path)
    desk = FileDesk("one_to_one", clock=clock, data_dir=tmp_path)
    try:
        stats = desk.running.statistics()
        # o1 and r0 as the old version booked them, o1 and o2 booked again once each
        assert (stats["bids"], stats["open"], stats["book_orders"]) == (3, 2, 4)
        desk.request("ev", "r1", 400, 12)
        assert desk.matches() == [("o1", "r1")]
    finally:
        desk.running.close()


def write_old_contract(data_dir: Path, clock: FakeClock) -> tuple[Bid, Bid]:
    """The previous version's file with one contract: offer o3 and request r3 matched on its
    book (orders without fields), both contracted, its /match on the way."""
    now = clock.now_ms()
    o3 = seed_bid(TransactionType.OFFER, "solar", "o3", 10, now)
    r3 = seed_bid(TransactionType.REQUEST, "ev3", "r3", 12, now)
    journal, book = old_book(data_dir, clock)
    o3_order = book.submit_order(old_spec(o3), idempotency_key="offer:o3#0").order
    r3_order = book.submit_order(old_spec(r3), idempotency_key="request:r3#0").order
    assert book.order(o3_order.id).remaining == 0, "the old book matched the pair"
    step = journal.last_step()
    journal.close()
    rows = [(o3, "contracted", o3_order.id, r3.key), (r3, "contracted", r3_order.id, o3.key)]
    write_old_rows(data_dir, rows, step, clock)
    return o3, r3


def test_a_carried_over_contract_whose_match_is_refused_trades_again(tmp_path: Path) -> None:
    """The previous version's /match is refused after the upgrade, its request dead: the
    offer goes back on the book with the fields the letter carried, and a new request
    meets it (booked from its fieldless old order, it would never be heard of again)."""
    clock = FakeClock()
    o3, r3 = write_old_contract(tmp_path, clock)
    desk = FileDesk("one_to_one", clock=clock, data_dir=tmp_path)
    try:
        body = {"offer": o3.fields, "request": r3.fields}
        refused = "request:r3 is no longer open (cancelled)"
        desk.running.bidmanager.match_refused(body, refused, details={"dead": ["request:r3"]})
        desk.request("ev4", "r4", 400, 12)
        assert desk.matches() == [("o3", "r4")]
    finally:
        desk.running.close()
