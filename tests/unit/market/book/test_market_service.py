"""The bid manager's use cases: order lifecycle, idempotent retries, failures, twins, assets."""

from __future__ import annotations

import pytest
from market_support import HOUR_MS, START_MS, Market, market, offer, request

from plaza.market import (
    AssetNotFound,
    BidManager,
    BookStoreFailed,
    ChangeReason,
    IdempotencyConflict,
    InvalidOrder,
    JournalEntry,
    MemoryBookStore,
    NewAsset,
    NotOwner,
    OrderBook,
    OrderNotActive,
    OrderNotFound,
    OrderStatus,
    UnknownPolicy,
    policy_named,
)
from plaza.testing import FakeClock


def test_disable_stops_matching_and_enable_rejoins_at_the_back_and_matches() -> None:
    m = market().manager
    m.submit_order(offer("ann", 5, 100))  # ord-1
    m.submit_order(offer("cat", 5, 100))  # ord-2
    assert m.disable_order("ord-1", participant="ann").status is OrderStatus.DISABLED
    assert m.submit_order(request("bob", 5, 100)).matches[0].offer_id == "ord-2"
    m.submit_order(offer("dan", 5, 100))  # ord-4
    enabled = m.enable_order("ord-1", participant="ann")
    assert enabled.order.status is OrderStatus.ACTIVE
    assert enabled.matches == ()
    assert enabled.order.priority > m.order("ord-4").priority
    assert m.submit_order(request("bob", 5, 100)).matches[0].offer_id == "ord-4"


def test_enabling_an_order_that_crosses_matches_it() -> None:
    m = market().manager
    m.submit_order(offer("ann", 5, 100))
    m.disable_order("ord-1", participant="ann")
    m.submit_order(request("bob", 5, 100))
    (match,) = m.enable_order("ord-1", participant="ann").matches
    assert (match.offer_id, match.request_id) == ("ord-1", "ord-2")


def test_cancel_and_the_status_guards() -> None:
    m = market().manager
    m.submit_order(offer("ann", 5, 100))
    with pytest.raises(NotOwner):
        m.cancel_order("ord-1", participant="bob")
    assert m.cancel_order("ord-1", participant="ann").status is OrderStatus.REMOVED
    with pytest.raises(OrderNotActive) as caught:
        m.cancel_order("ord-1", participant="ann")
    assert caught.value.status == "removed"
    with pytest.raises(OrderNotActive):
        m.enable_order("ord-1", participant="ann")
    with pytest.raises(OrderNotFound):
        m.cancel_order("ord-9", participant="ann")
    m.submit_order(offer("ann", 5, 100))
    m.disable_order("ord-2", participant="ann")
    assert m.cancel_order("ord-2", participant="ann").status is OrderStatus.REMOVED


def test_orders_expire_when_their_window_ends() -> None:
    mk = market()
    m = mk.manager
    m.submit_order(offer("ann", 5, 100, hours=1))
    m.submit_order(request("bob", 5, 90, hours=2))
    m.submit_order(offer("cat", 5, 100, hours=1))
    m.disable_order("ord-3", participant="cat")
    assert m.expire_orders() == []
    mk.clock.advance(ms=HOUR_MS)
    assert [(o.id, o.status) for o in m.expire_orders()] == [
        ("ord-1", OrderStatus.EXPIRED),
        ("ord-3", OrderStatus.EXPIRED),
    ]
    assert m.order("ord-2").status is OrderStatus.ACTIVE
    with pytest.raises(InvalidOrder, match="ended"):
        m.submit_order(offer("ann", 5, 100, hours=1))


def test_enabling_an_overdue_order_is_refused() -> None:
    mk = market()
    mk.manager.submit_order(offer("ann", 5, 100, hours=1))
    mk.manager.disable_order("ord-1", participant="ann")
    mk.clock.advance(ms=HOUR_MS)
    with pytest.raises(OrderNotActive, match="expired"):
        mk.manager.enable_order("ord-1", participant="ann")


def test_a_retried_submission_returns_the_first_outcome() -> None:
    m = market().manager
    m.submit_order(offer("ann", 5, 100))
    first = m.submit_order(request("bob", 5, 100), idempotency_key="r1")
    again = m.submit_order(request("bob", 5, 100), idempotency_key="r1")
    assert again.replayed
    assert not first.replayed
    assert (again.order, again.matches) == (first.order, first.matches)
    assert m.statistics().orders == 2
    with pytest.raises(IdempotencyConflict):
        m.submit_order(request("bob", 6, 100), idempotency_key="r1")
    assert not m.submit_order(request("cat", 5, 100), idempotency_key="r1").replayed


class FailingStore(MemoryBookStore):
    """Fails appends while ``failing``, before or after writing."""

    def __init__(self) -> None:
        super().__init__()
        self.failing: str | None = None

    def append(self, entry: JournalEntry) -> None:
        if self.failing == "after":
            super().append(entry)
        if self.failing:
            raise BookStoreFailed("disk full")
        super().append(entry)


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_failed_commit_leaves_memory_as_the_journal_says(when: str) -> None:
    store = FailingStore()
    mk = Market(store)
    mk.manager.submit_order(offer("ann", 5, 100))
    store.failing = when
    with pytest.raises(BookStoreFailed):
        mk.manager.submit_order(request("bob", 5, 100), idempotency_key="k")
    store.failing = None
    written = when == "after"
    assert mk.manager.statistics().orders == 1 + written
    assert mk.manager.order("ord-1").status is (
        OrderStatus.FILLED if written else OrderStatus.ACTIVE
    )
    retry = mk.manager.submit_order(request("bob", 5, 100), idempotency_key="k")
    assert retry.replayed is written
    assert len(retry.matches) == 1
    assert mk.manager.statistics().orders == 2
    assert mk.manager.statistics().matches == 1


def test_twins_get_one_change_per_order_per_step() -> None:
    mk = market()
    m = mk.manager
    m.submit_order(offer("ann", 10, 100))
    m.submit_order(request("bob", 4, 100))
    m.cancel_order("ord-1", participant="ann")
    history = [
        (c.step, c.reason, c.order.remaining, c.match_ids) for c in mk.twins.history("ord-1")
    ]
    assert history == [
        (1, ChangeReason.ACCEPTED, 10, ()),
        (2, ChangeReason.MATCHED, 6, ("mat-1",)),
        (3, ChangeReason.REMOVED, 6, ()),
    ]
    assert [c.reason for c in mk.twins.history("ord-2")] == [ChangeReason.ACCEPTED]
    assert mk.twins.history("ord-2")[0].order.status is OrderStatus.FILLED


def test_twin_changes_wait_while_the_recorder_is_down_and_survive_a_restart() -> None:
    mk = market()
    mk.manager.submit_order(offer("ann", 10, 100))
    mk.twins.available = False
    mk.manager.submit_order(request("bob", 4, 100))
    assert mk.twins.recorded_through() == 1
    mk.restart()  # the pending changes were only in memory: the restart finds them again
    mk.twins.available = True
    assert mk.manager.sync_twins() == 2
    assert mk.twins.recorded_through() == 2
    assert mk.manager.sync_twins() == 0


def test_orders_from_assets_must_be_the_owners_and_of_its_kind() -> None:
    m = market().manager
    asset = m.register_asset(NewAsset("ann", "energy", "roof panel")).asset
    assert m.submit_order(offer("ann", asset_id=asset.id)).order.asset_id == asset.id
    with pytest.raises(NotOwner):
        m.submit_order(offer("bob", asset_id=asset.id))
    with pytest.raises(AssetNotFound):
        m.submit_order(offer("ann", asset_id="pv-2"))
    with pytest.raises(InvalidOrder, match="kind"):
        m.submit_order(offer("ann", kind="data", asset_id=asset.id))


def test_without_an_asset_directory_orders_cannot_name_assets() -> None:
    m = BidManager(MemoryBookStore(), clock=FakeClock())
    with pytest.raises(InvalidOrder, match="asset directory"):
        m.submit_order(offer("ann", asset_id="pv-1"))


def test_unknown_policies_are_named() -> None:
    with pytest.raises(UnknownPolicy, match="cda, one_to_one, uniform, manual"):
        BidManager(MemoryBookStore(), clock=FakeClock(), policy="best")


def test_statistics_count_the_book() -> None:
    mk = market()
    mk.manager.submit_order(offer("ann", 10, 100))
    mk.manager.submit_order(request("bob", 4, 100))
    mk.manager.submit_order(request("cat", 4, 90))
    stats = mk.manager.statistics()
    assert (stats.step, stats.orders, stats.active_offers, stats.active_requests) == (3, 3, 1, 1)
    assert (stats.matches, stats.kinds, stats.policy) == (1, 1, "cda")
    assert mk.restart().statistics() == stats


def test_every_step_is_journaled_with_its_time() -> None:
    mk = market()
    mk.manager.submit_order(offer("ann", 10, 100))
    mk.clock.advance(ms=5)
    mk.manager.submit_order(request("bob", 4, 100))
    entries = list(mk.store.entries())
    assert [e.step for e in entries] == [1, 2]
    assert [e.at_ms for e in entries] == [START_MS, START_MS + 5]
    assert entries[1].matches()[0].matched_at_ms == START_MS + 5


def test_a_book_rebuilt_from_the_journal_alone_equals_the_live_one() -> None:
    mk = market("one_to_one")
    mk.manager.submit_order(offer("ann", 10, 100))
    mk.manager.submit_order(request("bob", 4, 100))
    mk.manager.disable_order("ord-1", participant="ann")
    book = OrderBook.rebuild(policy_named("one_to_one"), mk.store.entries())
    assert list(book.orders()) == mk.manager.orders()
    assert book.statistics() == mk.manager.statistics()


def test_a_keyed_order_is_found_by_its_key_as_it_stands_and_after_a_restart() -> None:
    mk = market()
    m = mk.manager
    m.submit_order(offer("ann", 5, 100), idempotency_key="o1")
    m.submit_order(request("bob", 3, 100), idempotency_key="r1")
    m.submit_order(request("bob", 1, 100))
    found = m.keyed_order("ann", "o1")
    assert found is not None
    assert (found.id, found.remaining) == ("ord-1", 1)  # as it stands now, not as submitted
    assert m.keyed_order("bob", "o1") is None  # keys are each participant's own
    assert m.keyed_order("ann", "missing") is None
    restarted = mk.restart()
    assert restarted.keyed_order("bob", "r1") == m.order("ord-2")
