"""The sensors a page or a buyer lists: filtered by data type, price and place.

What the map and the listing show of a sensor is its announcement: name, place, data
types, price per period and per hour (the ``stream`` kind's unit, so sensors with
different periods compare), the least it sells, and where it is paid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from plaza.ledger.model import ConfirmationState, Conflict
from plaza.ledger.ports import Movement
from plaza.market.matching.filters import haversine_km
from plaza.market.model import Location
from plaza.streams.announcement import Sensor
from plaza.streams.errors import StreamError
from plaza.streams.terms import MAX_AMOUNT, Terms

__all__ = ["InvalidFilter", "Sales", "SensorFilter", "hourly_price", "parse_filter", "summary"]

_HOUR_MS = 3_600_000


def hourly_price(terms: Terms) -> int:
    """The sensor's price per hour of access, rounded up: the ``stream`` kind's unit price."""
    return -(-terms.price * _HOUR_MS // terms.period_ms)


@dataclass(frozen=True, slots=True)
class SensorFilter:
    """Which sensors to list: reporting ``data_type``, at most ``max_hourly_price`` an
    hour, within ``radius_km`` of ``near``; None lets everything through."""

    data_type: str | None = None
    max_hourly_price: int | None = None
    near: Location | None = None
    radius_km: float | None = None

    def matches(self, sensor: Sensor) -> bool:
        said = sensor.announcement
        if self.data_type is not None and self.data_type not in {t.name for t in said.data_types}:
            return False
        if self.max_hourly_price is not None and hourly_price(said.terms) > self.max_hourly_price:
            return False
        if self.near is not None and self.radius_km is not None:
            place = Location(said.latitude, said.longitude)
            return haversine_km(self.near, place) <= self.radius_km
        return True

    def apply(self, sensors: Iterable[Sensor]) -> list[Sensor]:
        """The matching sensors, by name."""
        return sorted((s for s in sensors if self.matches(s)), key=lambda s: s.announcement.name)


def summary(sensor: Sensor) -> dict[str, object]:
    """A sensor as the map and ``plaza stream sensors --json`` show it."""
    said, terms = sensor.announcement, sensor.announcement.terms
    return {
        "id": sensor.id,
        "name": said.name,
        "lat": said.latitude,
        "lon": said.longitude,
        "description": said.description,
        "price": terms.price,
        "period_ms": terms.period_ms,
        "minimum_ms": terms.minimum_ms,
        "hourly_price": hourly_price(terms),
        "types": [[t.name, t.unit] for t in said.data_types],
        "pay_to": str(said.pay_to),
    }


class InvalidFilter(StreamError):
    code = "invalid_filter"


def _number(params: Mapping[str, str], name: str, low: float, high: float) -> float | None:
    text = params.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidFilter(f"{name} must be a number, got {text[:40]!r}") from None
    if not low <= value <= high:  # NaN fails this too
        raise InvalidFilter(f"{name} must be from {low:g} to {high:g}, got {text[:40]!r}")
    return value


def parse_filter(params: Mapping[str, str]) -> SensorFilter:
    """A filter from a page's query: ``type``, ``max_price`` (per hour), and ``lat``,
    ``lon`` and ``radius_km`` together; :class:`InvalidFilter` says what is wrong."""
    data_type = params.get("type", "").strip() or None
    if data_type is not None and not (len(data_type) <= 32 and data_type.isidentifier()):
        raise InvalidFilter(f"type must be a data type's name, got {data_type[:40]!r}")
    price = _number(params, "max_price", 0, MAX_AMOUNT)
    lat, lon = _number(params, "lat", -90, 90), _number(params, "lon", -180, 180)
    radius = _number(params, "radius_km", 0.001, 20_040)
    place = [value is not None for value in (lat, lon, radius)]
    if any(place) and not all(place):
        raise InvalidFilter("lat, lon and radius_km go together: give all three or none")
    near = None if lat is None or lon is None else Location(lat, lon)
    return SensorFilter(data_type, None if price is None else int(price), near, radius)


@dataclass(frozen=True, slots=True)
class Sales:
    """What a sensor's payment address shows anyone on the ledger: confirmed payments in,
    what went back out (refunds), and what it kept."""

    payments: int
    received: int
    refunded: int

    @property
    def revenue(self) -> int:
        return self.received - self.refunded

    @classmethod
    def of(cls, movements: Iterable[Movement]) -> Sales:
        applied = [
            m
            for m in movements
            if m.state is ConfirmationState.CONFIRMED and m.conflict is Conflict.NONE
        ]
        incoming = [m.delta for m in applied if m.delta > 0]
        outgoing = [-m.delta for m in applied if m.delta < 0]
        return cls(len(incoming), sum(incoming), sum(outgoing))
