"""The marketplace's values: assets, orders (offers and requests), requirements and matches.

Values are immutable. An :class:`Order` is a snapshot: the book keeps the live
state and hands out a new snapshot whenever one is asked for. Money is integer
base units (``unit_price`` per unit of ``quantity``), never a float; locations
are degrees, where floats are the right tool.

An order's validity window ``[valid_from_ms, valid_until_ms)`` is the period it
covers (when the energy flows, when the asset is rented). It rests on the book
from acceptance until the window ends, when it expires; two orders match only if
their windows overlap.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass

from plaza.market.errors import InvalidAsset, InvalidOrder

__all__ = [
    "GREEN",
    "MAX_AMOUNT",
    "NO_REQUIREMENTS",
    "QUALITY",
    "Asset",
    "AssetEvent",
    "AssetStatus",
    "AttributeValue",
    "Attributes",
    "Location",
    "Match",
    "NewAsset",
    "NewOrder",
    "Order",
    "OrderStatus",
    "Requirements",
    "Side",
    "attributes",
    "check_asset",
    "check_new_order",
]

#: The largest quantity, price or total value: what a signed 64-bit column holds.
MAX_AMOUNT = 2**63 - 1
#: Well-known attribute names: green energy (bool) and a quality grade (int).
GREEN = "green"
QUALITY = "quality"

_KIND = re.compile(r"[a-z0-9][a-z0-9:._-]{0,63}")
_MAX_ATTRIBUTES = 32
_MAX_TEXT = 256


class Side(enum.StrEnum):
    OFFER = "offer"  # sells: energy, a data stream, a service, an asset's time
    REQUEST = "request"  # buys


class OrderStatus(enum.StrEnum):
    ACTIVE = "active"  # on the book, matchable
    DISABLED = "disabled"  # kept, not matchable until enabled again
    FILLED = "filled"  # nothing remains
    REMOVED = "removed"  # cancelled by its owner
    EXPIRED = "expired"  # its validity window ended

    @property
    def is_open(self) -> bool:
        """Whether the order can still change: only open orders can be enabled or expire."""
        return self in (OrderStatus.ACTIVE, OrderStatus.DISABLED)


class AssetStatus(enum.StrEnum):
    ACTIVE = "active"  # orders may name it
    DISABLED = "disabled"  # kept; no new order may name it until enabled again
    REMOVED = "removed"  # retired by its owner for good


class AssetEvent(enum.StrEnum):
    """What made an asset's state: one per version, recorded on its twin."""

    REGISTERED = "registered"
    UPDATED = "updated"
    DISABLED = "disabled"
    ENABLED = "enabled"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class Location:
    """A point on Earth in degrees (WGS 84)."""

    lat: float
    lon: float


AttributeValue = str | int | bool
#: Attributes as (name, value) pairs sorted by name: hashable, comparable, JSON-friendly.
Attributes = tuple[tuple[str, AttributeValue], ...]


def attributes(values: Mapping[str, AttributeValue] | None = None, /) -> Attributes:
    """``{"green": True, "quality": 4}`` as the canonical sorted tuple orders carry."""
    return tuple(sorted((values or {}).items()))


@dataclass(frozen=True, slots=True)
class Requirements:
    """What an order demands of its counterparty; the default demands nothing.

    ``partners`` are the preferred partners: when given, only orders of these
    participants match. ``max_distance_km`` is measured from this order's
    location; a counterparty without a location is then too far.
    """

    attributes: Attributes = ()
    min_quality: int | None = None
    partners: tuple[str, ...] = ()
    max_distance_km: float | None = None

    @property
    def is_empty(self) -> bool:
        return self is NO_REQUIREMENTS or self == NO_REQUIREMENTS


#: The requirements of an order that accepts any counterparty.
NO_REQUIREMENTS = Requirements()


@dataclass(frozen=True, slots=True)
class NewOrder:
    """An offer or request as its owner submits it, before the book accepts it."""

    side: Side
    owner: str
    kind: str
    quantity: int
    unit_price: int
    valid_from_ms: int
    valid_until_ms: int
    location: Location | None = None
    attributes: Attributes = ()
    requirements: Requirements = NO_REQUIREMENTS
    asset_id: str | None = None


@dataclass(frozen=True, slots=True)
class Order:
    """An accepted offer or request as it stands. ``priority`` orders equal prices: lower first."""

    id: str
    side: Side
    owner: str
    kind: str
    quantity: int
    unit_price: int
    valid_from_ms: int
    valid_until_ms: int
    location: Location | None
    attributes: Attributes
    requirements: Requirements
    asset_id: str | None
    accepted_at_ms: int
    priority: int
    remaining: int
    status: OrderStatus

    @classmethod
    def accept(cls, spec: NewOrder, *, order_id: str, priority: int, at_ms: int) -> Order:
        """The order as the book takes it: active, nothing filled yet."""
        return cls(
            order_id,
            spec.side,
            spec.owner,
            spec.kind,
            spec.quantity,
            spec.unit_price,
            spec.valid_from_ms,
            spec.valid_until_ms,
            spec.location,
            spec.attributes,
            spec.requirements,
            spec.asset_id,
            at_ms,
            priority,
            spec.quantity,
            OrderStatus.ACTIVE,
        )

    @property
    def filled(self) -> int:
        return self.quantity - self.remaining

    @property
    def spec(self) -> NewOrder:
        """What was submitted: a retried submission is recognised by an equal spec."""
        return NewOrder(
            self.side,
            self.owner,
            self.kind,
            self.quantity,
            self.unit_price,
            self.valid_from_ms,
            self.valid_until_ms,
            self.location,
            self.attributes,
            self.requirements,
            self.asset_id,
        )


@dataclass(frozen=True, slots=True)
class Match:
    """``quantity`` units of an offer sold to a request at ``unit_price``: a contract to be."""

    id: str
    kind: str
    offer_id: str
    request_id: str
    provider: str  # the offer's owner
    consumer: str  # the request's owner
    quantity: int
    unit_price: int
    policy: str
    matched_at_ms: int
    step: int

    @property
    def total(self) -> int:
        return self.quantity * self.unit_price


@dataclass(frozen=True, slots=True)
class NewAsset:
    """An asset as its owner registers it, before the marketplace gives it an id."""

    owner: str
    kind: str
    name: str
    location: Location | None = None
    attributes: Attributes = ()


@dataclass(frozen=True, slots=True)
class Asset:
    """A thing an owner offers: a solar panel, a charger, a sensor, a cell site, an endpoint.

    A snapshot of one state: ``version`` counts the states (1 when registered) and
    ``event`` says what made this one. ``kind`` and ``owner`` never change, so an
    order naming the asset keeps meaning the same thing.
    """

    id: str
    owner: str
    kind: str
    name: str
    location: Location | None = None
    attributes: Attributes = ()
    status: AssetStatus = AssetStatus.ACTIVE
    version: int = 1
    event: AssetEvent = AssetEvent.REGISTERED
    registered_at_ms: int = 0
    updated_at_ms: int = 0

    @classmethod
    def register(cls, spec: NewAsset, *, asset_id: str, at_ms: int) -> Asset:
        """The first state of a registered asset: active, version 1."""
        return cls(
            asset_id,
            spec.owner,
            spec.kind,
            spec.name,
            spec.location,
            spec.attributes,
            registered_at_ms=at_ms,
            updated_at_ms=at_ms,
        )

    @property
    def spec(self) -> NewAsset:
        """What was registered: a retried registration is recognised by an equal spec."""
        return NewAsset(self.owner, self.kind, self.name, self.location, self.attributes)


def check_new_order(spec: NewOrder, now_ms: int) -> None:
    """Raise :class:`InvalidOrder` unless ``spec`` could rest on the book at ``now_ms``."""
    if not isinstance(spec.side, Side):
        raise InvalidOrder("side must be offer or request")
    _check_text(spec.owner, "owner", InvalidOrder)
    _check_kind(spec.kind, InvalidOrder)
    _check_amount(spec.quantity, "quantity", minimum=1)
    _check_amount(spec.unit_price, "unit_price", minimum=0)
    if spec.quantity * spec.unit_price > MAX_AMOUNT:
        raise InvalidOrder(f"quantity * unit_price exceeds {MAX_AMOUNT}")
    if not spec.valid_from_ms < spec.valid_until_ms:
        raise InvalidOrder("valid_from_ms must be before valid_until_ms")
    if spec.valid_until_ms <= now_ms:
        raise InvalidOrder("the validity window has already ended")
    if spec.location is not None:
        _check_location(spec.location, InvalidOrder)
    _check_attributes(spec.attributes, InvalidOrder)
    _check_requirements(spec.requirements)
    if spec.asset_id is not None:
        _check_text(spec.asset_id, "asset_id", InvalidOrder)


def check_asset(asset: Asset | NewAsset) -> None:
    """Raise :class:`InvalidAsset` unless ``asset`` is well formed."""
    if isinstance(asset, Asset):
        _check_text(asset.id, "id", InvalidAsset)
    for value, name in ((asset.owner, "owner"), (asset.name, "name")):
        _check_text(value, name, InvalidAsset)
    _check_kind(asset.kind, InvalidAsset)
    if asset.location is not None:
        _check_location(asset.location, InvalidAsset)
    _check_attributes(asset.attributes, InvalidAsset)


def _check_amount(value: object, name: str, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidOrder(f"{name} must be an integer (base units, never a float)")
    if not minimum <= value <= MAX_AMOUNT:
        raise InvalidOrder(f"{name} must be between {minimum} and {MAX_AMOUNT}")


def _check_text(value: object, name: str, error: type[InvalidOrder | InvalidAsset]) -> None:
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_TEXT:
        raise error(f"{name} must be a string of 1 to {_MAX_TEXT} characters")


def _check_kind(kind: object, error: type[InvalidOrder | InvalidAsset]) -> None:
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise error("kind must be 1 to 64 of a-z 0-9 : . _ - (e.g. 'energy', 'telco:cell')")


def _check_location(location: Location, error: type[InvalidOrder | InvalidAsset]) -> None:
    if not (-90.0 <= location.lat <= 90.0 and -180.0 <= location.lon <= 180.0):
        raise error("location must be latitude -90..90 and longitude -180..180 degrees")


def _check_attributes(pairs: Attributes, error: type[InvalidOrder | InvalidAsset]) -> None:
    if len(pairs) > _MAX_ATTRIBUTES:
        raise error(f"at most {_MAX_ATTRIBUTES} attributes")
    names = [name for name, _ in pairs]
    if names != sorted(set(names)):
        raise error("attributes must be sorted by name, each once: use attributes({...})")
    for name, value in pairs:
        _check_text(name, "attribute name", error)
        if not isinstance(value, str | int):  # bool is an int
            raise error(f"attribute {name!r} must be a string, integer or boolean")
        if isinstance(value, str) and len(value) > _MAX_TEXT:
            raise error(f"attribute {name!r} is longer than {_MAX_TEXT} characters")


def _check_requirements(requirements: Requirements) -> None:
    _check_attributes(requirements.attributes, InvalidOrder)
    minimum = requirements.min_quality
    if minimum is not None and (isinstance(minimum, bool) or not isinstance(minimum, int)):
        raise InvalidOrder("min_quality must be an integer")
    for partner in requirements.partners:
        _check_text(partner, "partner", InvalidOrder)
    radius = requirements.max_distance_km
    if radius is not None and not 0 < radius <= 20_038.0:  # half the equator
        raise InvalidOrder("max_distance_km must be above 0 and at most 20038")
