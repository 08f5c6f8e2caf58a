"""Periodic uniform-price clearing: the volume-maximising price, paid by everyone."""

from __future__ import annotations

import market_oracle as oracle
from hypothesis import given, settings
from hypothesis import strategies as st
from market_support import START_MS, market, offer, request

from plaza.market import NewOrder, Order
from plaza.market.matching import clearing_price


def test_orders_rest_until_the_clearing() -> None:
    m = market("uniform").manager
    m.submit_order(offer("ann", 10, 90))
    assert m.submit_order(request("bob", 10, 110)).matches == ()
    (match,) = m.clear()
    assert (match.quantity, match.unit_price, match.policy) == (10, 100, "uniform")
    assert m.clear() == []


def test_everyone_pays_the_clearing_price_within_their_limits() -> None:
    m = market("uniform").manager
    for owner, quantity, price in [("a1", 10, 90), ("a2", 10, 95), ("a3", 10, 104)]:
        m.submit_order(offer(owner, quantity, price))
    for owner, quantity, price in [("b1", 5, 110), ("b2", 10, 100), ("b3", 10, 96)]:
        m.submit_order(request(owner, quantity, price))
    matches = m.clear()
    # supply at p: 10 (90..94), 20 (95..103); demand: 25 (96..100), 15 (101..110)
    # 20 units trade at any price from 95 to 96: the midpoint rounds down to 95
    assert {m.unit_price for m in matches} == {95}
    assert sum(m.quantity for m in matches) == 20


def test_clearing_price_of_levels() -> None:
    assert clearing_price([(90, 10)], [(110, 10)]) == 100
    assert clearing_price([(101, 10)], [(100, 10)]) is None
    assert clearing_price([(90, 10), (95, 10)], [(110, 5), (100, 10), (96, 10)]) == 95


levels = st.lists(st.tuples(st.integers(80, 120), st.integers(1, 30)), min_size=1, max_size=12)


@settings(max_examples=200)
@given(asks=levels, bids=levels)
def test_clearing_price_matches_the_brute_force_rule(
    asks: list[tuple[int, int]], bids: list[tuple[int, int]]
) -> None:
    book: list[Order] = []
    for number, (price, quantity) in enumerate(asks + bids):
        side = offer if number < len(asks) else request
        spec: NewOrder = side(f"p{number}", quantity, price)
        book.append(Order.accept(spec, order_id=f"o{number}", priority=number, at_ms=START_MS))
    merged_asks = _merge(asks, reverse=False)
    merged_bids = _merge(bids, reverse=True)
    assert clearing_price(merged_asks, merged_bids) == oracle.uniform_price(book, START_MS)


def _merge(pairs: list[tuple[int, int]], *, reverse: bool) -> list[tuple[int, int]]:
    total: dict[int, int] = {}
    for price, quantity in pairs:
        total[price] = total.get(price, 0) + quantity
    return sorted(total.items(), reverse=reverse)
