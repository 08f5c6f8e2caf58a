"""The BookStore contract, run against every adapter (memory, SQLite).

The PostgreSQL adapter joins by adding a backend to ``store`` below.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from market_support import START_MS, offer, request

from plaza.market import (
    BookStore,
    BookStoreFailed,
    CorruptJournal,
    JournalConflict,
    JournalEntry,
    Location,
    Match,
    MemoryBookStore,
    Order,
    OrderAccepted,
    OrderMatched,
    OrderStatus,
    OrderStatusChanged,
    Requirements,
)
from plaza.market.sqlite import SqliteBookStore


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BookStore]:
    backend: BookStore = (
        MemoryBookStore() if request.param == "memory" else SqliteBookStore(tmp_path / "b.db")
    )
    yield backend
    backend.close()


def entry(step: int, *, key: str | None = None, participant: str = "ann") -> JournalEntry:
    spec = offer(
        "ann", 10, 100, location=Location(52.520008, 13.404954), attrs={"green": True, "q": 2},
        requires=Requirements((("quality", 3),), 1, ("bob", "cat"), 12.5),
    )  # fmt: skip
    order = Order.accept(spec, order_id=f"ord-{step}", priority=step, at_ms=START_MS)
    buyer = Order.accept(request("bob"), order_id=f"req-{step}", priority=step, at_ms=START_MS)
    match = Match(f"mat-{step}", "energy", order.id, buyer.id, "ann", "bob", 3, 100, "cda",
                  START_MS, step)  # fmt: skip
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
