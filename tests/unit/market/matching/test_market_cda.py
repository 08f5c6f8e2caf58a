"""Continuous double auction: price-time priority, partial fills, the maker's price."""

from __future__ import annotations

from market_support import HOUR_MS, START_MS, market, offer, request

from plaza.market import Location, OrderStatus, Requirements


def fills(matches: tuple[object, ...]) -> list[tuple[str, str, int, int]]:
    return [(m.offer_id, m.request_id, m.quantity, m.unit_price) for m in matches]  # type: ignore[attr-defined]


def test_best_price_first_then_oldest_at_the_makers_price() -> None:
    m = market().manager
    m.submit_order(offer("ann", 5, 102))  # ord-1
    m.submit_order(offer("cat", 5, 100))  # ord-2: cheapest
    m.submit_order(offer("dan", 5, 101))  # ord-3
    m.submit_order(offer("eve", 5, 100))  # ord-4: as cheap, younger
    result = m.submit_order(request("bob", 12, 105))
    assert fills(result.matches) == [
        ("ord-2", "ord-5", 5, 100),
        ("ord-4", "ord-5", 5, 100),
        ("ord-3", "ord-5", 2, 101),
    ]
    assert result.order.status is OrderStatus.FILLED
    assert m.order("ord-3").remaining == 3
    assert m.order("ord-3").status is OrderStatus.ACTIVE


def test_an_incoming_offer_takes_the_dearest_request_and_rests_the_rest() -> None:
    m = market().manager
    m.submit_order(request("bob", 4, 99))
    m.submit_order(request("cat", 4, 103))
    result = m.submit_order(offer("ann", 10, 98))
    assert fills(result.matches) == [("ord-3", "ord-2", 4, 103), ("ord-3", "ord-1", 4, 99)]
    assert (result.order.remaining, result.order.status) == (2, OrderStatus.ACTIVE)


def test_prices_that_do_not_cross_rest() -> None:
    m = market().manager
    m.submit_order(offer("ann", 5, 101))
    assert m.submit_order(request("bob", 5, 100)).matches == ()
    assert m.statistics().active_offers == m.statistics().active_requests == 1


def test_no_self_match_and_the_skipped_order_keeps_its_place() -> None:
    m = market().manager
    m.submit_order(offer("bob", 5, 100))  # bob's own offer, best price
    m.submit_order(offer("ann", 5, 101))
    result = m.submit_order(request("bob", 5, 110))
    assert fills(result.matches) == [("ord-2", "ord-3", 5, 101)]
    assert m.order("ord-1").status is OrderStatus.ACTIVE
    # the next buyer still gets bob's offer first
    assert fills(m.submit_order(request("cat", 5, 110)).matches) == [("ord-1", "ord-4", 5, 100)]


def test_filters_skip_misfits_in_place_across_levels() -> None:
    m = market().manager
    m.submit_order(offer("ann", 5, 100, location=Location(48.14, 11.58)))  # Munich
    m.submit_order(offer("cat", 5, 100, location=Location(52.39, 13.06)))  # Potsdam
    m.submit_order(offer("dan", 5, 101, location=Location(52.52, 13.40)))  # Berlin
    near = Requirements(max_distance_km=60)
    result = m.submit_order(request("bob", 8, 105, location=Location(52.52, 13.40), requires=near))
    assert fills(result.matches) == [("ord-2", "ord-4", 5, 100), ("ord-3", "ord-4", 3, 101)]
    assert m.order("ord-1").remaining == 5


def test_orders_whose_windows_do_not_overlap_never_trade() -> None:
    m = market().manager
    m.submit_order(offer("ann", 5, 100, start_ms=START_MS + 2 * HOUR_MS))
    assert m.submit_order(request("bob", 5, 100)).matches == ()


def test_an_overdue_maker_is_expired_on_the_way_and_journaled() -> None:
    mk = market()
    m = mk.manager
    m.submit_order(offer("ann", 5, 99, hours=1))
    m.submit_order(offer("cat", 5, 100, hours=3))
    mk.clock.advance(ms=HOUR_MS)
    result = m.submit_order(request("bob", 5, 100, start_ms=START_MS + HOUR_MS))
    assert fills(result.matches) == [("ord-2", "ord-3", 5, 100)]
    assert m.order("ord-1").status is OrderStatus.EXPIRED
    assert m.statistics() == mk.restart().statistics()
