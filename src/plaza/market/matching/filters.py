"""Whether two orders may trade at all, whatever their prices: the filters every policy applies.

Always on: different owners (no self-match), the same kind, and overlapping
validity windows. On demand, each side's :class:`~plaza.market.model.Requirements`
of the other: required attributes, a minimum quality, preferred partners only,
and a location radius (great-circle distance, haversine, in km).

:func:`compatible` is the fast yes/no that matching calls; :func:`mismatch`
says why not, for a manual match that has to explain its refusal.
"""

from __future__ import annotations

import math

from plaza.market.matching.entries import Resting
from plaza.market.model import QUALITY, Location, Order

__all__ = ["EARTH_RADIUS_KM", "compatible", "haversine_km", "mismatch", "unmet_requirement"]

#: Mean Earth radius (IUGG), the usual constant for haversine distances.
EARTH_RADIUS_KM = 6371.0088


def haversine_km(a: Location, b: Location) -> float:
    """Great-circle distance between two points, in kilometres."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlon = math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def compatible(a: Resting, b: Resting) -> bool:
    """Whether ``a`` and ``b`` pass every filter (prices aside)."""
    if a.owner == b.owner or a.kind != b.kind:
        return False
    if not (a.valid_from < b.valid_until and b.valid_from < a.valid_until):
        return False
    if not (a.constrained or b.constrained):
        return True
    return (
        unmet_requirement(a.order, b.order) is None and unmet_requirement(b.order, a.order) is None
    )


def mismatch(a: Resting, b: Resting) -> str | None:
    """Why ``a`` and ``b`` may not trade, or None when they may (prices aside)."""
    if a.owner == b.owner:
        return "same owner"
    if a.kind != b.kind:
        return f"kinds differ ({a.kind} and {b.kind})"
    if not (a.valid_from < b.valid_until and b.valid_from < a.valid_until):
        return "validity windows do not overlap"
    for own, other in ((a.order, b.order), (b.order, a.order)):
        unmet = unmet_requirement(own, other)
        if unmet is not None:
            return f"{own.id} requires {unmet}"
    return None


def unmet_requirement(own: Order, other: Order) -> str | None:
    """The first of ``own``'s requirements that ``other`` fails, described; None if all met."""
    wants = own.requirements
    if wants.partners and other.owner not in wants.partners:
        return "a preferred partner"
    if wants.attributes or wants.min_quality is not None:
        has = dict(other.attributes)
        for name, value in wants.attributes:
            if name not in has or has[name] != value or type(has[name]) is not type(value):
                return f"{name}={value!r}"
        quality = has.get(QUALITY)
        if wants.min_quality is not None and not (
            isinstance(quality, int)
            and not isinstance(quality, bool)
            and quality >= wants.min_quality
        ):
            return f"quality of at least {wants.min_quality}"
    radius = wants.max_distance_km
    if radius is not None and (
        own.location is None
        or other.location is None
        or haversine_km(own.location, other.location) > radius
    ):
        return f"a location within {radius:g} km"
    return None
