"""Brute-force statements of each policy's rule, over order snapshots, to check the engine by.

Written for clarity, not speed, and apart from the engine's code: each function
says in a few lines what the policy promises, from the book as it stood before
a command. The stateful tests compare every step's matches with these.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from plaza.market import Location, Order, OrderStatus, Side

Fill = tuple[str, str, int, int]  # offer id, request id, quantity, unit price


def distance_km(a: Location, b: Location) -> float:
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b.lon - a.lon) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def satisfies(own: Order, other: Order) -> bool:
    """Does ``other`` meet ``own``'s requirements?"""
    wants = own.requirements
    has = dict(other.attributes)
    if wants.partners and other.owner not in wants.partners:
        return False
    for name, value in wants.attributes:
        if name not in has or has[name] != value or type(has[name]) is not type(value):
            return False
    if wants.min_quality is not None:
        quality = has.get("quality")
        if type(quality) is not int or quality < wants.min_quality:
            return False
    if wants.max_distance_km is not None:
        if own.location is None or other.location is None:
            return False
        if distance_km(own.location, other.location) > wants.max_distance_km:
            return False
    return True


def may_trade(a: Order, b: Order, now_ms: int) -> bool:
    """Every filter, both ways, and both still within their windows (prices aside)."""
    return (
        a.owner != b.owner
        and a.kind == b.kind
        and a.valid_from_ms < b.valid_until_ms
        and b.valid_from_ms < a.valid_until_ms
        and a.valid_until_ms > now_ms
        and b.valid_until_ms > now_ms
        and satisfies(a, b)
        and satisfies(b, a)
    )


def crosses(offer: Order, request: Order) -> bool:
    return offer.unit_price <= request.unit_price


def _active(book: Iterable[Order], side: Side) -> list[Order]:
    return [o for o in book if o.status is OrderStatus.ACTIVE and o.side is side]


def cda(book: Iterable[Order], taker: Order, now_ms: int) -> list[Fill]:
    """Best price first, oldest first within a price, partial fills, at the resting price."""
    other = Side.REQUEST if taker.side is Side.OFFER else Side.OFFER
    sign = 1 if other is Side.OFFER else -1
    makers = sorted(_active(book, other), key=lambda o: (sign * o.unit_price, o.priority))
    left, fills = taker.remaining, []
    for maker in makers:
        offer, request = (maker, taker) if other is Side.OFFER else (taker, maker)
        if left and crosses(offer, request) and may_trade(taker, maker, now_ms):
            quantity = min(left, maker.remaining)
            left -= quantity
            fills.append((offer.id, request.id, quantity, maker.unit_price))
    return fills


def one_to_one(book: Iterable[Order], taker: Order, now_ms: int) -> list[Fill]:
    """A whole request against the oldest offer with enough left, at the offer's price."""
    orders = list(book)
    if taker.side is Side.REQUEST:
        fitting = [
            o
            for o in _active(orders, Side.OFFER)
            if crosses(o, taker) and o.remaining >= taker.remaining and may_trade(o, taker, now_ms)
        ]
        best = min(fitting, key=lambda o: o.priority, default=None)
        return [] if best is None else [(best.id, taker.id, taker.remaining, best.unit_price)]
    left, fills, used = taker.remaining, [], set()
    while True:
        fitting = [
            o
            for o in _active(orders, Side.REQUEST)
            if o.id not in used
            and crosses(taker, o)
            and o.remaining <= left
            and may_trade(o, taker, now_ms)
        ]
        best = min(fitting, key=lambda o: o.priority, default=None)
        if best is None:
            return fills
        used.add(best.id)
        left -= best.remaining
        fills.append((taker.id, best.id, best.remaining, taker.unit_price))


def uniform_price(book: Iterable[Order], now_ms: int) -> int | None:
    """The midpoint (rounded down) of the integer prices that trade the most volume."""
    orders = [o for o in book if o.status is OrderStatus.ACTIVE and o.valid_until_ms > now_ms]
    offers = [o for o in orders if o.side is Side.OFFER]
    requests = [o for o in orders if o.side is Side.REQUEST]
    if not offers or not requests:
        return None
    prices = range(min(o.unit_price for o in orders), max(o.unit_price for o in orders) + 1)

    def volume(p: int) -> int:
        supply = sum(o.remaining for o in offers if o.unit_price <= p)
        demand = sum(o.remaining for o in requests if o.unit_price >= p)
        return min(supply, demand)

    best = max(volume(p) for p in prices)
    if best == 0:
        return None
    clearing = [p for p in prices if volume(p) == best]
    return (clearing[0] + clearing[-1]) // 2


def uniform(book: Iterable[Order], now_ms: int) -> list[Fill]:
    """A clearing of each kind's book, kinds in name order."""
    orders = list(book)
    kinds = sorted({o.kind for o in orders})
    return [
        fill for kind in kinds for fill in _uniform([o for o in orders if o.kind == kind], now_ms)
    ]


def _uniform(orders: list[Order], now_ms: int) -> list[Fill]:
    """Every request at or above the price against every offer at or below, in price-time
    priority, skipping pairs the filters forbid, all at the one price."""
    price = uniform_price(orders, now_ms)
    if price is None:
        return []
    live = [o for o in _active(orders, Side.OFFER) if o.valid_until_ms > now_ms]
    asks = sorted(
        (o for o in live if o.unit_price <= price), key=lambda o: (o.unit_price, o.priority)
    )
    bids = sorted(
        (
            o
            for o in _active(orders, Side.REQUEST)
            if o.valid_until_ms > now_ms and o.unit_price >= price
        ),
        key=lambda o: (-o.unit_price, o.priority),
    )
    left = {o.id: o.remaining for o in asks + bids}
    fills = []
    for bid in bids:
        for ask in asks:
            if left[bid.id] and left[ask.id] and may_trade(bid, ask, now_ms):
                quantity = min(left[bid.id], left[ask.id])
                left[bid.id] -= quantity
                left[ask.id] -= quantity
                fills.append((ask.id, bid.id, quantity, price))
    return fills
