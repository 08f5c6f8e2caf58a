"""Match suggestions for manual matching: the compatible counterparts of one order, ranked.

A candidate is a live order of the other side, same kind, whose price crosses
(an offer at or below the request's price) and that passes every filter both
ways. Candidates are ranked by what matters to the searching owner:

1. price: the cheapest offers for a request, the dearest requests for an offer;
2. distance, nearest first (unknown distances last);
3. quality, highest first (the ``quality`` attribute; none counts lowest);
4. age: older orders first, as in price-time priority.

The suggested price is the offer's, as in the one-to-one policy: the requester
accepts what the provider asked, and the provider gets exactly that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from plaza.market.matching.base import KindBook
from plaza.market.matching.entries import Resting
from plaza.market.matching.filters import compatible, haversine_km
from plaza.market.model import QUALITY

__all__ = ["Candidate", "rank_candidates"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A counterpart for ``order``, what a confirmed match would trade, and how far it is."""

    entry: Resting
    quantity: int
    unit_price: int
    distance_km: float | None


def rank_candidates(book: KindBook, order: Resting, now_ms: int, limit: int) -> list[Candidate]:
    """The ``limit`` best compatible counterparts of ``order``, best first. Changes nothing."""
    side = book.opposite(order)
    found: list[tuple[tuple[int, float, int, int], Candidate]] = []
    for entry in side.in_priority(-order.key):
        if entry.valid_until <= now_ms or not compatible(order, entry):
            continue
        distance = _distance(order, entry)
        quality = dict(entry.order.attributes).get(QUALITY)
        rank = (
            entry.key,
            math.inf if distance is None else distance,
            -quality if type(quality) is int else 1,  # no (or a non-integer) quality: last
            entry.priority,
        )
        price = entry.price if entry.is_offer else order.price
        found.append(
            (rank, Candidate(entry, min(order.remaining, entry.remaining), price, distance))
        )
    found.sort(key=lambda pair: pair[0])
    return [candidate for _, candidate in found[:limit]]


def _distance(a: Resting, b: Resting) -> float | None:
    here, there = a.order.location, b.order.location
    if here is None or there is None:
        return None
    return haversine_km(here, there)
