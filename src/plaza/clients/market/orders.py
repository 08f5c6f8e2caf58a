"""The terms of an offer or request as a client submits them (its owner is the signer)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plaza.market.model import NO_REQUIREMENTS, Attributes, Location, Requirements

__all__ = ["OrderTerms", "order_body"]


@dataclass(frozen=True, slots=True)
class OrderTerms:
    """What is offered or requested, for how much, when; optionally where and with what.

    ``valid_from_ms``/``valid_until_ms`` bound the period covered (when the energy
    flows), Unix milliseconds; prices are integer base units per unit.
    """

    kind: str
    quantity: int
    unit_price: int
    valid_from_ms: int
    valid_until_ms: int
    location: Location | None = None
    attributes: Attributes = ()
    requirements: Requirements = NO_REQUIREMENTS
    asset_id: str | None = None


def order_body(terms: OrderTerms) -> dict[str, Any]:
    """The JSON the marketplace expects; optional parts only when given."""
    body: dict[str, Any] = {
        "kind": terms.kind,
        "quantity": terms.quantity,
        "unit_price": terms.unit_price,
        "valid_from_ms": terms.valid_from_ms,
        "valid_until_ms": terms.valid_until_ms,
        "attributes": dict(terms.attributes),
    }
    if terms.location is not None:
        body["location"] = {"lat": terms.location.lat, "lon": terms.location.lon}
    if not terms.requirements.is_empty:
        wanted = terms.requirements
        body["requirements"] = {
            "attributes": dict(wanted.attributes),
            "min_quality": wanted.min_quality,
            "partners": list(wanted.partners),
            "max_distance_km": wanted.max_distance_km,
        }
    if terms.asset_id is not None:
        body["asset_id"] = terms.asset_id
    return body
