"""Manual matching: search, ranked suggestions, and confirming one into a match."""

from __future__ import annotations

import pytest
from market_support import market, offer, request

from plaza.market import (
    IdempotencyConflict,
    Location,
    NotMatchable,
    NotOwner,
    OrderNotActive,
    OrderQuery,
    OrderStatus,
    Requirements,
    SelfMatch,
    Side,
)

BERLIN, POTSDAM, MUNICH = Location(52.52, 13.405), Location(52.39, 13.064), Location(48.137, 11.575)


def test_suggestions_rank_price_then_distance_then_quality_then_age() -> None:
    m = market("manual").manager
    m.submit_order(request("bob", 10, 100, location=BERLIN))  # ord-1
    m.submit_order(offer("ann", 10, 99, location=MUNICH))  # ord-2
    m.submit_order(offer("cat", 10, 99, location=POTSDAM, attrs={"quality": 1}))  # ord-3
    m.submit_order(offer("dan", 10, 99, location=POTSDAM, attrs={"quality": 3}))  # ord-4
    m.submit_order(offer("eve", 10, 98))  # ord-5: cheapest, no location
    m.submit_order(offer("fay", 10, 101))  # ord-6: too dear, not suggested
    m.submit_order(offer("gil", 10, 98))  # ord-7: as cheap as ord-5, younger
    ranked = m.suggest_matches("ord-1", participant="bob")
    assert [s.order.id for s in ranked] == ["ord-5", "ord-7", "ord-4", "ord-3", "ord-2"]
    assert ranked[2].distance_km == pytest.approx(27, abs=2)
    assert ranked[0].distance_km is None
    assert all(s.unit_price == s.order.unit_price and s.quantity == 10 for s in ranked)
    assert [s.order.id for s in m.suggest_matches("ord-1", participant="bob", limit=1)] == ["ord-5"]


def test_confirming_a_suggestion_makes_a_match_at_the_offers_price() -> None:
    m = market("manual").manager
    m.submit_order(offer("ann", 10, 90))
    m.submit_order(request("bob", 4, 100))
    (suggestion,) = m.suggest_matches("ord-2", participant="bob")
    match = m.confirm_match("ord-2", suggestion.order.id, participant="bob")
    assert (match.offer_id, match.request_id, match.quantity, match.unit_price, match.policy) == (
        "ord-1",
        "ord-2",
        4,
        90,
        "manual",
    )
    assert m.order("ord-2").status is OrderStatus.FILLED
    assert m.order("ord-1").remaining == 6


def test_a_confirmation_can_take_part_of_what_remains() -> None:
    m = market("manual").manager
    m.submit_order(offer("ann", 10, 90))
    m.submit_order(request("bob", 8, 100))
    assert m.confirm_match("ord-1", "ord-2", participant="ann", quantity=3).quantity == 3
    assert (m.order("ord-1").remaining, m.order("ord-2").remaining) == (7, 5)


def test_a_retried_confirmation_returns_the_first_match() -> None:
    m = market("manual").manager
    m.submit_order(offer("ann", 10, 90))
    m.submit_order(request("bob", 8, 100))
    first = m.confirm_match("ord-2", "ord-1", participant="bob", quantity=2, idempotency_key="c1")
    again = m.confirm_match("ord-2", "ord-1", participant="bob", quantity=2, idempotency_key="c1")
    assert first == again
    assert m.order("ord-2").remaining == 6
    m.submit_order(offer("cat", 10, 90))
    with pytest.raises(IdempotencyConflict):
        m.confirm_match("ord-2", "ord-3", participant="bob", idempotency_key="c1")


@pytest.mark.parametrize(
    ("orders", "reason"),
    [
        ([offer("ann", 10, 101), request("bob", 10, 100)], "above the request's"),
        ([offer("ann"), offer("bob")], "both are offers"),
        ([offer("ann"), request("bob", requires=Requirements(partners=("cat",)))], "partner"),
        ([offer("ann", kind="data"), request("bob")], "kinds differ"),
    ],
)
def test_confirmations_the_rules_forbid_are_refused(orders: list[object], reason: str) -> None:
    m = market("manual").manager
    for spec in orders:
        m.submit_order(spec)  # type: ignore[arg-type]
    with pytest.raises(NotMatchable, match=reason):
        m.confirm_match("ord-1", "ord-2", participant="ann")
    assert m.statistics().matches == 0


def test_confirmation_guards() -> None:
    m = market("manual").manager
    m.submit_order(offer("ann", 10, 90))
    m.submit_order(request("ann", 10, 100))
    m.submit_order(request("bob", 10, 100))
    with pytest.raises(SelfMatch):
        m.confirm_match("ord-1", "ord-2", participant="ann")
    with pytest.raises(NotOwner):
        m.confirm_match("ord-1", "ord-3", participant="bob")
    with pytest.raises(NotMatchable, match="quantity must be 1 to 10"):
        m.confirm_match("ord-1", "ord-3", participant="ann", quantity=11)
    m.disable_order("ord-3", participant="bob")
    with pytest.raises(OrderNotActive):
        m.confirm_match("ord-1", "ord-3", participant="ann")
    with pytest.raises(NotOwner):
        m.suggest_matches("ord-1", participant="bob")


def test_search_filters_active_orders_best_price_first() -> None:
    m = market("manual").manager
    m.submit_order(offer("ann", 10, 99, location=POTSDAM, attrs={"green": True, "quality": 2}))
    m.submit_order(offer("cat", 10, 97, location=MUNICH, attrs={"green": True}))
    m.submit_order(offer("dan", 10, 95, attrs={"green": False}))
    m.submit_order(request("bob", 10, 90))
    green = OrderQuery(kind="energy", side=Side.OFFER, attributes=(("green", True),))
    assert [o.id for o in m.search(green)] == ["ord-2", "ord-1"]
    near = OrderQuery(near=BERLIN, radius_km=50)
    assert [o.id for o in m.search(near)] == ["ord-1"]
    assert [o.id for o in m.search(OrderQuery(min_quality=2))] == ["ord-1"]
    assert [o.id for o in m.search(OrderQuery(max_price=96, exclude_owner="bob"))] == ["ord-3"]
    assert [o.id for o in m.search(OrderQuery(side=Side.REQUEST))] == ["ord-4"]
