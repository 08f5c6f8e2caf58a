"""Journal entries as JSON text: what the SQL adapters store, one row per step.

JSON keeps the journal readable with any SQLite or PostgreSQL client, which an
auditor comparing the book with the digital twins will want. Integers stay
integers (money is never a float), booleans stay booleans, and floats (only
coordinates and radii) survive the round trip exactly.
"""

from __future__ import annotations

import json
from typing import Any

from plaza.market.book.journal import (
    BookEvent,
    JournalEntry,
    OrderAccepted,
    OrderMatched,
    OrderStatusChanged,
)
from plaza.market.errors import CorruptJournal
from plaza.market.model import (
    Asset,
    AssetEvent,
    AssetStatus,
    Attributes,
    Location,
    Match,
    Order,
    OrderStatus,
    Requirements,
    Side,
)

__all__ = [
    "asset_fields",
    "decode_asset",
    "decode_entry",
    "encode_asset",
    "encode_entry",
    "order_fields",
]


def encode_entry(entry: JournalEntry) -> str:
    """The whole entry as compact JSON."""
    return json.dumps(
        {
            "step": entry.step,
            "at_ms": entry.at_ms,
            "participant": entry.participant,
            "idempotency_key": entry.idempotency_key,
            "events": [_event(event) for event in entry.events],
        },
        separators=(",", ":"),
    )


def decode_entry(text: str, *, step: int | None = None) -> JournalEntry:
    """An entry from :func:`encode_entry`'s text; :class:`CorruptJournal` if it is not one."""
    try:
        data = json.loads(text)
        return JournalEntry(
            int(data["step"]),
            int(data["at_ms"]),
            tuple(_decode_event(event) for event in data["events"]),
            data["participant"],
            data["idempotency_key"],
        )
    except (ValueError, KeyError, TypeError) as error:
        raise CorruptJournal(step or 0, f"{type(error).__name__}: {error}") from error


def _event(event: BookEvent) -> dict[str, Any]:
    if isinstance(event, OrderAccepted):
        return {"type": "accepted", "order": order_fields(event.order)}
    if isinstance(event, OrderMatched):
        m = event.match
        return {
            "type": "matched",
            "match": {
                "id": m.id,
                "kind": m.kind,
                "offer_id": m.offer_id,
                "request_id": m.request_id,
                "provider": m.provider,
                "consumer": m.consumer,
                "quantity": m.quantity,
                "unit_price": m.unit_price,
                "policy": m.policy,
                "matched_at_ms": m.matched_at_ms,
                "step": m.step,
            },
        }
    return {
        "type": "status",
        "order_id": event.order_id,
        "status": event.status.value,
        "priority": event.priority,
    }


def _decode_event(data: dict[str, Any]) -> BookEvent:
    kind = data["type"]
    if kind == "accepted":
        return OrderAccepted(_decode_order(data["order"]))
    if kind == "matched":
        return OrderMatched(Match(**data["match"]))
    if kind == "status":
        return OrderStatusChanged(data["order_id"], OrderStatus(data["status"]), data["priority"])
    raise ValueError(f"unknown event type {kind!r}")


def order_fields(order: Order) -> dict[str, Any]:
    """An order as JSON-ready values: journaled, shown on its twin, compared by audits."""
    req = order.requirements
    return {
        "id": order.id,
        "side": order.side.value,
        "owner": order.owner,
        "kind": order.kind,
        "quantity": order.quantity,
        "unit_price": order.unit_price,
        "valid_from_ms": order.valid_from_ms,
        "valid_until_ms": order.valid_until_ms,
        "location": None if order.location is None else [order.location.lat, order.location.lon],
        "attributes": [list(pair) for pair in order.attributes],
        "requirements": {
            "attributes": [list(pair) for pair in req.attributes],
            "min_quality": req.min_quality,
            "partners": list(req.partners),
            "max_distance_km": req.max_distance_km,
        },
        "asset_id": order.asset_id,
        "accepted_at_ms": order.accepted_at_ms,
        "priority": order.priority,
        "remaining": order.remaining,
        "status": order.status.value,
    }


def _decode_order(data: dict[str, Any]) -> Order:
    req = data["requirements"]
    location = data["location"]
    return Order(
        id=data["id"],
        side=Side(data["side"]),
        owner=data["owner"],
        kind=data["kind"],
        quantity=data["quantity"],
        unit_price=data["unit_price"],
        valid_from_ms=data["valid_from_ms"],
        valid_until_ms=data["valid_until_ms"],
        location=None if location is None else Location(location[0], location[1]),
        attributes=_attributes(data["attributes"]),
        requirements=Requirements(
            _attributes(req["attributes"]),
            req["min_quality"],
            tuple(req["partners"]),
            req["max_distance_km"],
        ),
        asset_id=data["asset_id"],
        accepted_at_ms=data["accepted_at_ms"],
        priority=data["priority"],
        remaining=data["remaining"],
        status=OrderStatus(data["status"]),
    )


def _attributes(pairs: list[list[Any]]) -> Attributes:
    return tuple((str(name), value) for name, value in pairs)


def asset_fields(asset: Asset) -> dict[str, Any]:
    """An asset state as JSON-ready values: stored, shown on its twin, compared by audits."""
    location = asset.location
    return {
        "id": asset.id,
        "owner": asset.owner,
        "kind": asset.kind,
        "name": asset.name,
        "location": None if location is None else [location.lat, location.lon],
        "attributes": [list(pair) for pair in asset.attributes],
        "status": asset.status.value,
        "version": asset.version,
        "event": asset.event.value,
        "registered_at_ms": asset.registered_at_ms,
        "updated_at_ms": asset.updated_at_ms,
    }


def encode_asset(asset: Asset) -> str:
    """One asset state as compact JSON."""
    return json.dumps(asset_fields(asset), separators=(",", ":"))


def decode_asset(text: str) -> Asset:
    """A state from :func:`encode_asset`'s text; ``ValueError`` if it is not one."""
    try:
        data = json.loads(text)
        location = data["location"]
        return Asset(
            id=data["id"],
            owner=data["owner"],
            kind=data["kind"],
            name=data["name"],
            location=None if location is None else Location(location[0], location[1]),
            attributes=_attributes(data["attributes"]),
            status=AssetStatus(data["status"]),
            version=int(data["version"]),
            event=AssetEvent(data["event"]),
            registered_at_ms=int(data["registered_at_ms"]),
            updated_at_ms=int(data["updated_at_ms"]),
        )
    except (KeyError, TypeError, IndexError) as error:
        raise ValueError(f"not an asset state: {type(error).__name__}") from None
