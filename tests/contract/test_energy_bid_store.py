"""The BidStore contract: one suite, run against the memory and SQLite adapters.

It asserts what the energy bid manager relies on: an atomic block lands all of its writes
or none; a bid keeps the seed fields it arrived with while its state, generation and
order move; every order a bid stood as still finds it; unbooked bids come back in the
order they arrived; removals, matches and refused pairs are kept once; and, on SQLite,
all of it survives a restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from plaza.energy.bidmanager.memory import MemoryBidStore
from plaza.energy.bidmanager.model import Bid, BidRecord, BidState
from plaza.energy.bidmanager.ports import BidStore
from plaza.energy.bidmanager.store import SqliteBidStore
from plaza.energy.model import TransactionType

T0 = 1_700_000_000_000


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BidStore]:
    opened: BidStore = (
        MemoryBidStore() if request.param == "memory" else SqliteBidStore(tmp_path / "bm.sqlite3")
    )
    yield opened
    opened.close()


def bid(number: int, side: TransactionType = TransactionType.OFFER, energy: int = 500) -> Bid:
    ids = (
        {"providerId": "solar-1", "providerTransactionId": f"tx-{number}", "walletAddress": "w"}
        if side is TransactionType.OFFER
        else {"requesterId": "ev-1", "requesterTransactionId": f"tx-{number}"}
    )
    body = {"type": str(side), "energyAmount": energy, "energyPrice": 150, "timestamp": str(T0)}
    return Bid.parse({**body, **ids}, side)


def test_a_bid_is_stored_and_moves_keeping_its_fields(store: BidStore) -> None:
    first = BidRecord(bid(1))
    store.save_bid(first)
    assert store.bid("offer:tx-1") == first
    assert store.bid("offer:tx-1").bid.fields == first.bid.fields  # type: ignore[union-attr]
    moved = BidRecord(bid(1, energy=900), BidState.CONTRACTED, 2, "order-2", "request:tx-9")
    store.save_bid(moved)
    found = store.bid("offer:tx-1")
    assert found is not None
    assert (found.state, found.generation, found.order_id, found.reason) == (
        BidState.CONTRACTED,
        2,
        "order-2",
        "request:tx-9",
    )
    assert found.bid.energy == 500  # the fields it arrived with
    assert store.bid("offer:missing") is None


def test_every_order_a_bid_stood_as_finds_it(store: BidStore) -> None:
    record = BidRecord(bid(1), order_id="order-1")
    store.save_bid(record)
    store.save_bid(replace(record, generation=1, order_id="order-2"))
    assert store.bid_for_order("order-1") == store.bid_for_order("order-2")
    assert store.bid_for_order("order-2").order_id == "order-2"  # type: ignore[union-attr]
    assert store.bid_for_order("order-9") is None


def test_unbooked_bids_are_the_open_ones_without_an_order_oldest_first(store: BidStore) -> None:
    for number in (3, 1, 2):
        store.save_bid(BidRecord(bid(number)))
    store.save_bid(BidRecord(bid(4, TransactionType.REQUEST), order_id="order-4"))
    store.save_bid(BidRecord(bid(2), BidState.CLOSED, reason="expired"))
    store.save_bid(BidRecord(bid(3), reason="booked again"))  # an update keeps its place
    assert [r.bid.key for r in store.unbooked()] == ["offer:tx-3", "offer:tx-1"]


def test_removals_matches_and_refusals_are_kept_once(store: BidStore) -> None:
    assert not store.removed("offer:tx-1")
    store.add_removal("offer:tx-1", now_ms=T0)
    store.add_removal("offer:tx-1", now_ms=T0 + 1)
    assert store.removed("offer:tx-1")
    store.add_match("offer:tx-1", "request:tx-2", now_ms=T0)
    store.add_match("offer:tx-1", "request:tx-2", now_ms=T0 + 1)
    store.add_refused_match("offer:tx-1", "request:tx-3", reason="dead", now_ms=T0)
    store.add_refused_match("offer:tx-1", "request:tx-3", reason="again", now_ms=T0)
    assert store.refused_match("offer:tx-1", "request:tx-3")
    assert not store.refused_match("offer:tx-1", "request:tx-2")  # sent, not refused
    assert not store.refused_match("request:tx-3", "offer:tx-1")
    stats = store.statistics()
    assert (stats["matches"], stats["refused_matches"]) == (1, 1)


def test_the_journal_progress_starts_at_zero_and_moves(store: BidStore) -> None:
    assert store.processed_through() == 0
    store.set_processed(7)
    store.set_processed(9)
    assert store.processed_through() == 9


def test_statistics_count_bids_per_state(store: BidStore) -> None:
    store.save_bid(BidRecord(bid(1)))
    store.save_bid(BidRecord(bid(2), BidState.CONTRACTED))
    store.save_bid(BidRecord(bid(3, TransactionType.REQUEST), BidState.CONTRACTED))
    assert store.statistics() == {
        "bids": 3,
        "open": 1,
        "contracted": 2,
        "removed": 0,
        "closed": 0,
        "matches": 0,
        "refused_matches": 0,
    }


def test_an_atomic_block_lands_whole(store: BidStore) -> None:
    with store.atomic():
        store.save_bid(BidRecord(bid(1), BidState.CONTRACTED, order_id="order-1"))
        with store.atomic():  # a nested block joins the outer one
            store.add_match("offer:tx-1", "request:tx-2", now_ms=T0)
        store.set_processed(3)
    assert store.bid_for_order("order-1") is not None
    assert store.processed_through() == 3


def write_everything_then_fail(store: BidStore) -> None:
    """One write of each kind in an atomic block, then the step fails."""
    with store.atomic():
        store.save_bid(BidRecord(bid(1), BidState.CONTRACTED, 1, "order-1", "request:tx-2"))
        store.save_bid(BidRecord(bid(5)))
        store.add_match("offer:tx-1", "request:tx-2", now_ms=T0)
        store.add_refused_match("offer:tx-1", "request:tx-3", reason="dead", now_ms=T0)
        store.add_removal("offer:tx-9", now_ms=T0)
        store.set_processed(3)
        store.log(now_ms=T0, operation="match", record_id="offer:tx-1", outcome="ok", detail="")
        raise RuntimeError("the letter could not be queued")


def test_a_failed_atomic_block_leaves_nothing_behind(store: BidStore) -> None:
    store.save_bid(BidRecord(bid(1)))
    store.set_processed(2)
    before = (store.bid("offer:tx-1"), store.statistics(), store.log_entries())
    with pytest.raises(RuntimeError, match="could not be queued"):
        write_everything_then_fail(store)
    assert (store.bid("offer:tx-1"), store.statistics(), store.log_entries()) == before
    assert store.bid("offer:tx-5") is None
    assert store.bid_for_order("order-1") is None
    assert not store.removed("offer:tx-9")
    assert not store.refused_match("offer:tx-1", "request:tx-3")
    assert store.processed_through() == 2


def test_the_log_is_read_newest_first(store: BidStore) -> None:
    store.log(now_ms=T0, operation="offer", record_id="offer:tx-1", outcome="ok", detail="in")
    store.log(now_ms=T0 + 1, operation="deliver", record_id="", outcome="refused", detail="no")
    newest, oldest = store.log_entries()
    assert newest == {
        "at_ms": T0 + 1,
        "operation": "deliver",
        "record_id": "",
        "outcome": "refused",
        "detail": "no",
    }
    assert oldest["record_id"] == "offer:tx-1"
    assert store.log_entries(limit=1) == [newest]


def test_the_sqlite_file_keeps_everything_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "bm.sqlite3"
    first = SqliteBidStore(path)
    first.save_bid(BidRecord(bid(1), order_id="order-1"))
    first.save_bid(BidRecord(bid(2)))
    first.add_removal("offer:tx-9", now_ms=T0)
    first.add_match("offer:tx-1", "request:tx-2", now_ms=T0)
    first.add_refused_match("offer:tx-1", "request:tx-3", reason="dead", now_ms=T0)
    first.set_processed(4)
    first.log(now_ms=T0, operation="offer", record_id="offer:tx-1", outcome="ok", detail="")
    before = (first.bid("offer:tx-1"), first.unbooked(), first.statistics(), first.log_entries())
    first.close()
    again = SqliteBidStore(path)
    try:
        assert (
            again.bid("offer:tx-1"),
            again.unbooked(),
            again.statistics(),
            again.log_entries(),
        ) == before
        assert again.bid_for_order("order-1") == before[0]
        assert again.removed("offer:tx-9")
        assert again.refused_match("offer:tx-1", "request:tx-3")
        assert again.processed_through() == 4
    finally:
        again.close()
