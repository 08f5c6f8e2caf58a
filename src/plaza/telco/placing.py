"""What an order is placed from, and the checks of the match it names.

A :class:`Placement` names a request and an offer (and, for the service provider's
order, the hold paying it); :func:`check_match` holds the pair to what the matching
suggests (one telco type, the offer's price within the request's, the offer within
the request's radius) and :func:`overlap` gives the window the order is for. A
refusal is :class:`~plaza.telco.orders.OrderRefused` and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from plaza.market.auth import Principal
from plaza.market.matching.filters import haversine_km
from plaza.market.model import Order, Side
from plaza.telco.assets import asset_type_of
from plaza.telco.orders import OrderRefused
from plaza.telco.terms import Window

__all__ = ["Placement", "check_match", "overlap", "who"]


@dataclass(frozen=True, slots=True)
class Placement:
    """An order from a match: the request and the offer; the hold paying it when the
    service provider places it (None when the asset provider does); and the orchestrator
    if the caller names one (it must be the asset's)."""

    request_id: str
    offer_id: str
    hold_id: bytes | None = None
    orchestrator: str | None = None


def who(caller: Principal) -> str:
    assert caller.participant_id is not None  # principals from requests are participants
    return caller.participant_id


def overlap(a: Order, b: Order) -> Window:
    window = Window(max(a.valid_from_ms, b.valid_from_ms), min(a.valid_until_ms, b.valid_until_ms))
    if window.start_ms >= window.end_ms:
        raise OrderRefused(422, "no_overlap", "the offer's and the request's windows do not meet")
    return window


def check_match(request: Order, offer: Order) -> None:
    """The pair is one the matching suggests: one telco type, the offer's price within the
    request's, the offer within the request's radius."""
    if request.side is not Side.REQUEST or offer.side is not Side.OFFER:
        raise OrderRefused(400, "wrong_side", "an order names a request and an offer")
    if asset_type_of(request.kind) is None or request.kind != offer.kind:
        raise OrderRefused(422, "wrong_kind", "the request and offer are not of one telco type")
    if offer.unit_price > request.unit_price:
        raise OrderRefused(422, "price", "the offer's price is above the request's")
    radius, here, there = request.requirements.max_distance_km, request.location, offer.location
    too_far = (
        radius is not None
        and here is not None
        and there is not None
        and haversine_km(here, there) > radius
    )
    if too_far:
        raise OrderRefused(422, "too_far", "the offer is beyond the request's radius")
