"""The BidStore contract: one suite, run against the memory and SQLite adapters.

It asserts what the energy bid manager relies on: an atomic block lands all of its writes
or none; a bid keeps the asset it arrived from while its state, generation and reason
move; removals, matches and refused pairs are kept once; and, on SQLite, all of it
survives a restart. Bids of the previous version's tables are read on SQLite only, by
the upgrade's test (``tests/unit/energy/bidmanager/test_energy_bidmanager_upgrade.py``).
A bid's fields and orders are the book's (its orders' attributes and
idempotency keys), checked by the market's own suites (``tests/unit/market/book``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from plaza.energy.bidmanager.memory import MemoryBidStore
from plaza.energy.bidmanager.model import BidRecord, BidState
from plaza.energy.bidmanager.ports import BidStore
from plaza.energy.bidmanager.store import SqliteBidStore

T0 = 1_700_000_000_000


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BidStore]:
    opened: BidStore = (
        MemoryBidStore() if request.param == "memory" else SqliteBidStore(tmp_path / "bm.sqlite3")
    )
    yield opened
    opened.close()


def bid(number: int, owner: str = "solar-1") -> BidRecord:
    return BidRecord(f"offer:tx-{number}", owner)


def test_a_bid_is_stored_and_moves_keeping_its_owner(store: BidStore) -> None:
    first = bid(1)
    store.save_bid(first)
    assert store.bid("offer:tx-1") == first
    moved = BidRecord("offer:tx-1", "ev-9", BidState.CONTRACTED, 2, "request:tx-9")
    store.save_bid(moved)
    found = store.bid("offer:tx-1")
    assert found is not None
    assert (found.state, found.generation, found.reason) == (
        BidState.CONTRACTED,
        2,
        "request:tx-9",
    )
    assert found.owner == "solar-1"  # the asset it arrived from
    assert store.bid("offer:missing") is None


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
    store.save_bid(bid(1))
    store.save_bid(BidRecord("offer:tx-2", "solar-1", BidState.CONTRACTED))
    store.save_bid(BidRecord("request:tx-3", "ev-1", BidState.CONTRACTED))
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
        store.save_bid(BidRecord("offer:tx-1", "solar-1", BidState.CONTRACTED))
        with store.atomic():  # a nested block joins the outer one
            store.add_match("offer:tx-1", "request:tx-2", now_ms=T0)
        store.set_processed(3)
    assert store.bid("offer:tx-1") is not None
    assert store.processed_through() == 3


def write_everything_then_fail(store: BidStore) -> None:
    """One write of each kind in an atomic block, then the step fails."""
    with store.atomic():
        store.save_bid(BidRecord("offer:tx-1", "solar-1", BidState.CONTRACTED, 1, "request:tx-2"))
        store.save_bid(bid(5))
        store.add_match("offer:tx-1", "request:tx-2", now_ms=T0)
        store.add_refused_match("offer:tx-1", "request:tx-3", reason="dead", now_ms=T0)
        store.add_removal("offer:tx-9", now_ms=T0)
        store.set_processed(3)
        store.log(now_ms=T0, operation="match", record_id="offer:tx-1", outcome="ok", detail="")
        raise RuntimeError("the letter could not be queued")


def test_a_failed_atomic_block_leaves_nothing_behind(store: BidStore) -> None:
    store.save_bid(bid(1))
    store.set_processed(2)
    before = (store.bid("offer:tx-1"), store.statistics(), store.log_entries())
    with pytest.raises(RuntimeError, match="could not be queued"):
        write_everything_then_fail(store)
    assert (store.bid("offer:tx-1"), store.statistics(), store.log_entries()) == before
    assert store.bid("offer:tx-5") is None
    assert store.bid("offer:tx-1") == bid(1)
    assert not store.removed("offer:tx-9")
    assert not store.refused_match("offer:tx-1", "request:tx-3")
    assert store.processed_through() == 2


def test_a_store_of_this_version_holds_no_bids_of_the_previous_one(store: BidStore) -> None:
    store.save_bid(bid(1))
    assert store.legacy_bids() == []
    store.drop_legacy()  # a file without the old tables: nothing to drop, nothing lost
    assert store.legacy_bids() == []
    assert store.bid("offer:tx-1") == bid(1)


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
    first.save_bid(bid(1))
    first.save_bid(BidRecord("offer:tx-2", "solar-1", BidState.REMOVED, 1, "removed"))
    first.add_removal("offer:tx-9", now_ms=T0)
    first.add_match("offer:tx-1", "request:tx-2", now_ms=T0)
    first.add_refused_match("offer:tx-1", "request:tx-3", reason="dead", now_ms=T0)
    first.set_processed(4)
    first.log(now_ms=T0, operation="offer", record_id="offer:tx-1", outcome="ok", detail="")
    before = (
        first.bid("offer:tx-2"),
        first.bid("offer:tx-1"),
        first.statistics(),
        first.log_entries(),
    )
    first.close()
    again = SqliteBidStore(path)
    try:
        assert (
            again.bid("offer:tx-2"),
            again.bid("offer:tx-1"),
            again.statistics(),
            again.log_entries(),
        ) == before
        assert again.removed("offer:tx-9")
        assert again.refused_match("offer:tx-1", "request:tx-3")
        assert again.processed_through() == 4
    finally:
        again.close()
