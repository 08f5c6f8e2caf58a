"""The energy seed's one-to-one policy: whole requests, oldest fitting offer, offer's price."""

from __future__ import annotations

from market_support import market, offer, request

from plaza.market import OrderStatus


def fills(matches: tuple[object, ...]) -> list[tuple[str, str, int, int]]:
    return [(m.offer_id, m.request_id, m.quantity, m.unit_price) for m in matches]  # type: ignore[attr-defined]


def test_a_request_takes_the_oldest_offer_with_enough_whatever_its_price() -> None:
    m = market("one_to_one").manager
    m.submit_order(offer("ann", 5, 90))  # too small
    m.submit_order(offer("cat", 50, 100))  # oldest that fits, dearer
    m.submit_order(offer("dan", 50, 95))  # cheaper but younger
    result = m.submit_order(request("bob", 20, 100))
    assert fills(result.matches) == [("ord-2", "ord-4", 20, 100)]
    assert m.order("ord-2").remaining == 30
    assert m.order("ord-2").status is OrderStatus.ACTIVE


def test_a_request_is_never_split() -> None:
    m = market("one_to_one").manager
    m.submit_order(offer("ann", 10, 90))
    m.submit_order(offer("cat", 10, 90))
    result = m.submit_order(request("bob", 15, 100))
    assert result.matches == ()
    assert result.order.status is OrderStatus.ACTIVE


def test_an_offer_serves_several_whole_requests_oldest_first_at_its_price() -> None:
    m = market("one_to_one").manager
    m.submit_order(request("bob", 30, 120))  # too big for what will be left
    m.submit_order(request("cat", 10, 100))
    m.submit_order(request("dan", 15, 110))
    m.submit_order(request("eve", 5, 90))  # price too low
    result = m.submit_order(offer("ann", 40, 95))
    assert fills(result.matches) == [("ord-5", "ord-1", 30, 95), ("ord-5", "ord-2", 10, 95)]
    assert result.order.status is OrderStatus.FILLED


def test_oldest_across_price_levels_and_quantity_classes() -> None:
    m = market("one_to_one").manager
    m.submit_order(offer("ann", 100, 99))  # ord-1, big, oldest
    m.submit_order(offer("cat", 3, 90))  # ord-2, small, cheapest
    m.submit_order(offer("dan", 9, 95))  # ord-3
    m.submit_order(request("bob", 3, 100))  # takes ord-1 (oldest fitting), now 97 left
    assert m.order("ord-1").remaining == 97
    m.submit_order(offer("eve", 8, 91))  # ord-5
    # ord-1 was re-filed under a smaller class; it is still the oldest fitting offer
    assert fills(m.submit_order(request("fay", 8, 100)).matches) == [("ord-1", "ord-6", 8, 99)]


def test_no_self_match() -> None:
    m = market("one_to_one").manager
    m.submit_order(offer("bob", 10, 90))
    assert m.submit_order(request("bob", 10, 100)).matches == ()


def test_manual_partial_fill_refiles_the_request() -> None:
    mk = market("one_to_one")
    m = mk.manager
    m.submit_order(offer("ann", 30, 100))  # ord-1: too small for the request below
    m.submit_order(request("bob", 40, 100))  # ord-2: rests
    m.confirm_match("ord-2", "ord-1", participant="bob")  # 30 by hand: 10 left
    assert m.order("ord-2").remaining == 10
    result = m.submit_order(offer("cat", 10, 100))
    assert fills(result.matches) == [("ord-3", "ord-2", 10, 100)]
    assert mk.restart().order("ord-2").status is OrderStatus.FILLED
