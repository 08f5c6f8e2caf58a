"""The BookStore contract, run against every adapter: memory, the SQLite file a bid manager
of its own keeps, and the market database's journal on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from market_sql_backends import SQL_BACKENDS, fresh_engine

from plaza.market import (
    BookStore,
    BookStoreFailed,
    CorruptJournal,
    JournalConflict,
    JournalEntry,
    Location,
    Match,
    MemoryBookStore,
    NewOrder,
    Order,
    OrderAccepted,
    OrderMatched,
    OrderStatus,
    OrderStatusChanged,
    Requirements,
    Side,
    attributes,
)
from plaza.market.book.sqlite import SqliteBookStore
from plaza.market.model import NO_REQUIREMENTS, AttributeValue
from plaza.market.sql import SqlBookStore, import_journal
from plaza.testing import FakeClock

START_MS = FakeClock().now_ms()


@pytest.fixture(params=["memory", "sqlite-file", *SQL_BACKENDS])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BookStore]:
    if request.param == "memory":
        yield MemoryBookStore()
        return
    if request.param == "sqlite-file":
        backend = SqliteBookStore(tmp_path / "b.db")
        yield backend
        backend.close()
        return
    with fresh_engine(request.param, request, tmp_path) as engine:
        backend = SqlBookStore(engine)
        yield backend
        backend.close()


def _order(side: Side, owner: str, **kw: Any) -> NewOrder:
    attrs: dict[str, AttributeValue] = kw.get("attrs", {})
    return NewOrder(
        side,
        owner,
        "energy",
        10,
        100,
        START_MS,
        START_MS + 3_600_000,
        kw.get("location"),
        attributes(attrs),
        kw.get("requires", NO_REQUIREMENTS),
        None,
    )


def offer(owner: str, **kw: Any) -> NewOrder:
    return _order(Side.OFFER, owner, **kw)


def request(owner: str) -> NewOrder:
    return _order(Side.REQUEST, owner)


def entry(step: int, *, key: str | None = None, participant: str = "ann") -> JournalEntry:
    spec = offer(
        "ann",
        location=Location(52.520008, 13.404954),
        attrs={"green": True, "q": 2},
        requires=Requirements((("quality", 3),), 1, ("bob", "cat"), 12.5),
    )
    order = Order.accept(spec, order_id=f"ord-{step}", priority=step, at_ms=START_MS)
    buyer = Order.accept(request("bob"), order_id=f"req-{step}", priority=step, at_ms=START_MS)
    match = Match(
        f"mat-{step}", "energy", order.id, buyer.id, "ann", "bob", 3, 100, "cda", START_MS, step
    )
    events = (
        OrderAccepted(order),
        OrderAccepted(buyer),
        OrderMatched(match),
        OrderStatusChanged(order.id, OrderStatus.ACTIVE, 99),
        OrderStatusChanged(buyer.id, OrderStatus.EXPIRED),
    )
    return JournalEntry(step, START_MS + step, events, participant if key else None, key)


def test_an_empty_store(store: BookStore) -> None:
    assert store.last_step() == 0
    assert list(store.entries()) == []
    assert store.entry(1) is None


def test_entries_come_back_equal_and_in_step_order(store: BookStore) -> None:
    written = [entry(1, key="k1"), entry(2), entry(3, key="k3")]
    for item in written:
        store.append(item)
    assert store.last_step() == 3
    assert list(store.entries()) == written
    assert list(store.entries(after_step=1)) == written[1:]
    assert store.entry(2) == written[1]
    assert store.entry(4) is None


def test_steps_must_follow_without_gaps(store: BookStore) -> None:
    with pytest.raises(JournalConflict):
        store.append(entry(2))
    store.append(entry(1))
    with pytest.raises(JournalConflict):
        store.append(entry(1))
    assert store.last_step() == 1


def test_an_idempotency_key_is_used_once_per_participant(store: BookStore) -> None:
    store.append(entry(1, key="same"))
    with pytest.raises(JournalConflict):
        store.append(entry(2, key="same"))
    assert store.last_step() == 1  # the refused step wrote nothing
    store.append(entry(2, key="same", participant="bob"))
    store.append(entry(3))
    store.append(entry(4))  # many entries without a key
    assert store.last_step() == 4


def test_sqlite_keeps_the_journal_across_reopening(tmp_path: Path) -> None:
    path = tmp_path / "book.db"
    first = SqliteBookStore(path)
    first.append(entry(1, key="k"))
    first.close()
    second = SqliteBookStore(path)
    try:
        assert list(second.entries()) == [entry(1, key="k")]
        with pytest.raises(JournalConflict):
            second.append(entry(2, key="k"))
    finally:
        second.close()


def test_sqlite_streams_long_journals_in_pages(tmp_path: Path) -> None:
    store = SqliteBookStore(tmp_path / "book.db")
    try:
        for step in range(1, 2502):
            store.append(JournalEntry(step, step, ()))
        assert [e.step for e in store.entries(after_step=10)] == list(range(11, 2502))
    finally:
        store.close()


def test_sqlite_reports_corruption_and_use_after_close(tmp_path: Path) -> None:
    path = tmp_path / "book.db"
    store = SqliteBookStore(path)
    store.append(entry(1))
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE market_journal SET entry = '{\"step\": 1}'")
    conn.close()
    with pytest.raises(CorruptJournal) as caught:
        list(store.entries())
    assert caught.value.step == 1
    store.close()
    with pytest.raises(BookStoreFailed, match="closed"):
        store.last_step()


def test_sqlite_refuses_a_path_it_cannot_open(tmp_path: Path) -> None:
    with pytest.raises(BookStoreFailed):
        SqliteBookStore(tmp_path / "missing" / "book.db")


def test_the_sql_journal_streams_long_journals_in_pages(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    with fresh_engine("sqlite", request, tmp_path) as engine:
        store = SqlBookStore(engine)
        for step in range(1, 2502):
            store.append(JournalEntry(step, step, ()))
        assert [e.step for e in store.entries(after_step=10)] == list(range(11, 2502))


def test_a_journal_file_moves_into_the_market_database_once(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    old = SqliteBookStore(tmp_path / "book.sqlite3")
    written = [entry(1, key="k1"), entry(2), entry(3, key="k3")]
    for item in written:
        old.append(item)
    with fresh_engine("sqlite", request, tmp_path) as engine:
        new = SqlBookStore(engine)
        assert import_journal(old, new) == 3
        assert import_journal(old, new) == 0, "a second start copies nothing"
        assert list(new.entries()) == written
        new.append(entry(4))
        assert import_journal(old, new) == 0, "a journal that went on is left alone"
    old.close()


def test_the_sql_journal_refuses_use_after_close(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    with fresh_engine("sqlite", request, tmp_path) as engine:
        store = SqlBookStore(engine)
        store.close()
        with pytest.raises(BookStoreFailed, match="closed"):
            store.last_step()
