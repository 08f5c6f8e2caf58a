"""Offers and requests in the telco vocabulary, as market orders; and the manual search.

An :class:`Offer` is an asset's window at a price, standing where the asset is;
a :class:`Request` is a window wanted of a type, within a radius of a place, at
most at a price, perhaps requiring attribute values (``technology=5G``). Both
become the market's :class:`~plaza.market.model.NewOrder`, so the market's
suggestions are the matches on creation: the same type (kind), windows that
overlap, the offer within the request's radius, and an offer price at most the
request's. :class:`Search` is the manual search with the same filters, over the
orders the market lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from plaza.market.matching.filters import haversine_km
from plaza.market.model import (
    Attributes,
    Location,
    NewOrder,
    Order,
    OrderStatus,
    Requirements,
    Side,
)
from plaza.telco.assets import AssetType, asset_type_of, kind_of

__all__ = ["Offer", "Request", "Search", "Window"]


@dataclass(frozen=True, slots=True)
class Window:
    """``[start_ms, end_ms)``: when the asset is used."""

    start_ms: int
    end_ms: int

    def overlaps(self, other: Window) -> bool:
        return self.start_ms < other.end_ms and other.start_ms < self.end_ms


@dataclass(frozen=True, slots=True)
class Offer:
    """An asset's window for rent at ``price`` (base units for the whole window);
    ``attributes`` are the asset's, which a request may require values of."""

    owner: str
    asset_id: str
    asset_type: AssetType
    place: Location
    window: Window
    price: int
    attributes: Attributes = ()

    def order(self) -> NewOrder:
        return NewOrder(
            Side.OFFER,
            self.owner,
            kind_of(self.asset_type),
            1,
            self.price,
            self.window.start_ms,
            self.window.end_ms,
            self.place,
            self.attributes,
            asset_id=self.asset_id,
        )


@dataclass(frozen=True, slots=True)
class Request:
    """A window wanted of ``asset_type`` within ``radius_km`` of ``place``, paying at most
    ``max_price``; ``required`` are attribute values the asset must have."""

    owner: str
    asset_type: AssetType
    place: Location
    radius_km: float
    window: Window
    max_price: int
    required: Attributes = ()

    def order(self) -> NewOrder:
        wants = Requirements(attributes=self.required, max_distance_km=self.radius_km)
        return NewOrder(
            Side.REQUEST,
            self.owner,
            kind_of(self.asset_type),
            1,
            self.max_price,
            self.window.start_ms,
            self.window.end_ms,
            self.place,
            requirements=wants,
        )


@dataclass(frozen=True, slots=True)
class Search:
    """A manual search: each given field narrows it, as the matching on creation does."""

    side: Side | None = None
    asset_type: AssetType | None = None
    near: Location | None = None
    radius_km: float | None = None
    window: Window | None = None
    max_price: int | None = None
    min_price: int | None = None

    def fits(self, order: Order) -> bool:
        """Whether an active telco ``order`` is one this search finds."""
        found_type = asset_type_of(order.kind)
        if found_type is None or order.status is not OrderStatus.ACTIVE:
            return False
        if self.asset_type is not None and found_type is not self.asset_type:
            return False
        if self.side is not None and order.side is not self.side:
            return False
        return self._fits_terms(order)

    def _fits_terms(self, order: Order) -> bool:
        window = Window(order.valid_from_ms, order.valid_until_ms)
        if self.window is not None and not self.window.overlaps(window):
            return False
        if self.max_price is not None and order.unit_price > self.max_price:
            return False
        if self.min_price is not None and order.unit_price < self.min_price:
            return False
        if self.near is None or self.radius_km is None:
            return True
        return order.location is not None and haversine_km(self.near, order.location) <= (
            self.radius_km
        )
