"""Periodic uniform-price clearing (a call auction): everyone trades at one price, pay-as-clear.

Orders rest without trading until :meth:`UniformPriceClearing.on_clear`. A
clearing then finds the price that trades the most volume, from the sorted
cumulative supply and demand curves (aggregated per price level, probed with
:mod:`bisect`), and fills every request priced at or above it against every
offer priced at or below it, in price-time priority, all at that one price.

**The clearing price** is the midpoint, rounded down to a base unit, of the
range of prices that trade the maximum volume: for a single marginal pair that
is the midpoint of the marginal offer's and request's prices, splitting the
surplus at the margin evenly. Every matched request pays at most its limit and
every matched offer gets at least its own, since all of them lie on the right
side of the price.

The curves ignore filters, so they give the volume the book could trade; the
allocation then honours them (no self-match, windows, requirements), so a
filtered pair is skipped and the volume traded can be lower.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate
from operator import attrgetter

from plaza.market.matching.base import KindBook
from plaza.market.matching.entries import BookSide, Fill, Resting
from plaza.market.matching.filters import compatible
from plaza.market.model import OrderStatus

__all__ = ["Levels", "UniformPriceClearing", "clearing_price"]

_FILLED = OrderStatus.FILLED
_remaining = attrgetter("remaining")


class UniformPriceClearing:
    """Orders wait for the next clearing; a clearing trades at one uniform price."""

    name = "uniform"

    def on_submit(self, book: KindBook, taker: Resting, now_ms: int, fills: list[Fill]) -> None:
        """Nothing to do: orders rest until the next clearing."""

    def on_clear(self, book: KindBook, now_ms: int, fills: list[Fill]) -> None:
        """Clear the crossed part of the book: only levels between the best prices can trade.

        After a clearing the book is uncrossed (filters aside), so the next one
        reads only the levels that orders arriving since have crossed.
        """
        best_ask, best_bid = _best_key(book.offers, now_ms), _best_key(book.requests, now_ms)
        if best_ask is None or best_bid is None or best_ask > -best_bid:
            return
        asks, ask_levels, ask_ends = _collect(book.offers, now_ms, -best_bid)
        bids, bid_levels, bid_ends = _collect(book.requests, now_ms, -best_ask)
        price = clearing_price(ask_levels, bid_levels)
        if price is None:
            return
        # Levels are sorted best first, so the eligible entries are a prefix of each side.
        cheap_enough = bisect_right([p for p, _ in ask_levels], price)
        dear_enough = bisect_right([-p for p, _ in bid_levels], -price)
        bids, asks = bids[: bid_ends[dear_enough - 1]], asks[: ask_ends[cheap_enough - 1]]
        _allocate(bids, asks, price, fills)
        # What filled sits at the head of its level: drop it now, not on every clearing.
        for level_price, _ in ask_levels[:cheap_enough]:
            book.offers.tidy(level_price)
        for level_price, _ in bid_levels[:dear_enough]:
            book.requests.tidy(-level_price)


Levels = list[tuple[int, int]]


def clearing_price(offers: Levels, requests: Levels) -> int | None:
    """The uniform price for (price, quantity) levels, offers cheapest and requests dearest first.

    None when no offer price is at or below any request price.
    """
    ask_prices = [price for price, _ in offers]
    supply = list(accumulate(quantity for _, quantity in offers))
    bid_keys = [-price for price, _ in requests]  # ascending, for bisect
    demand = list(accumulate(quantity for _, quantity in requests))
    low, high = ask_prices[0], requests[0][0]
    if low > high:
        return None
    best, first, last = 0, low, low
    candidates = sorted({p for p in ask_prices if p <= high} | {-k for k in bid_keys if -k >= low})
    for price in candidates:
        i = bisect_right(ask_prices, price)
        j = bisect_right(bid_keys, -price)
        volume = min(supply[i - 1] if i else 0, demand[j - 1] if j else 0)
        if volume > best:
            best, first, last = volume, price, price
        elif volume == best:
            last = price
    return (first + last) // 2 if best else None


def _best_key(side: BookSide, now_ms: int) -> int | None:
    """The key of the best level holding a live order still in its window."""
    for key in side.sorted_keys():
        if any(e.live and e.valid_until > now_ms for e in side.levels[key]):
            return key
    return None


def _collect(side: BookSide, now_ms: int, limit: int) -> tuple[list[Resting], Levels, list[int]]:
    """Live entries in priority order up to the ``limit`` key, their quantity per price, and
    where each level ends.

    Overdue entries are left out, not expired: the sweep expires them, and a
    clearing stays one pass over the crossed levels.
    """
    entries: list[Resting] = []
    levels: Levels = []
    ends: list[int] = []
    for key in side.sorted_keys(limit):
        live = [e for e in side.levels[key] if e.live and e.valid_until > now_ms]
        if live:
            entries += live
            levels.append((abs(key), sum(map(_remaining, live))))
            ends.append(len(entries))
    return entries, levels, ends


def _allocate(bids: list[Resting], asks: list[Resting], price: int, fills: list[Fill]) -> None:
    """Fill bids against asks in priority order, skipping incompatible pairs in place.

    The fill is written out here rather than through :func:`trade`: a clearing of
    100k orders a side makes about as many fills. Exhausted entries stay in the
    engine's ``active`` index, dead; the next sweep drops them. Deleting them here
    would cost a third of the clearing in cache misses on the index and the ids.
    """
    append = fills.append
    start, count = 0, len(asks)
    for bid in bids:
        owner, b_from, b_until = bid.owner, bid.valid_from, bid.valid_until
        for k in range(start, count):
            ask = asks[k]
            have = ask.remaining
            if not have:
                continue
            if (
                ask.owner == owner
                or ask.constrained
                or bid.constrained
                or not (ask.valid_from < b_until and b_from < ask.valid_until)
            ) and not compatible(bid, ask):
                continue
            wanted = bid.remaining
            if have <= wanted:
                ask.remaining, ask.live, ask.status = 0, False, _FILLED
                bid.remaining = wanted - have
                append((ask, bid, have, price))
            else:
                ask.remaining = have - wanted
                bid.remaining = 0
                append((ask, bid, wanted, price))
            if not bid.remaining:
                bid.live, bid.status = False, _FILLED
                break
        while start < count and not asks[start].remaining:
            start += 1
        if start == count:
            return
