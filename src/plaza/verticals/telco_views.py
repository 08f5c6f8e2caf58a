"""Telco records as TM Forum shapes, and TM Forum requests as telco terms.

Resources are the market's assets of telco kinds (TMF639: their administrative,
operational, usage and resource status from the asset's state and its orders);
offerings and requests are the market's orders (TMF620 ``productOffering``, and
Plaza's ``productRequest`` beside it); product orders are the telco desk's
(TMF622). ``fields=`` selects first-level attributes; ``id``, ``href`` and
``@type`` always stay.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from plaza.api.errors import RequestProblem
from plaza.market.book.views import Suggestion
from plaza.market.model import (
    Asset,
    AssetStatus,
    Attributes,
    AttributeValue,
    Location,
    Order,
    attributes,
)
from plaza.telco.assets import asset_type_of
from plaza.telco.orders import FINAL, OrderState, ProductOrder
from plaza.telco.terms import Window
from plaza.verticals.telco_schemas import CharacteristicIn, PlaceRef, TimePeriod

__all__ = [
    "BASE",
    "ORDERS",
    "characteristics_of",
    "compact",
    "history_view",
    "iso",
    "offering_view",
    "order_view",
    "place_of",
    "request_view",
    "resource_view",
    "select",
    "suggestion_view",
    "window_of",
]

BASE = "/api/v1/market/telco/tmf-api"
RESOURCES = f"{BASE}/resourceInventoryManagement/v4/resource"
OFFERINGS = f"{BASE}/productCatalogManagement/v4/productOffering"
REQUESTS = f"{BASE}/productCatalogManagement/v4/productRequest"
ORDERS = f"{BASE}/productOrderingManagement/v4/productOrder"
_ALWAYS = ("id", "href", "@type")


def _party(participant: str, role: str) -> dict[str, str]:
    return {"id": participant, "role": role, "@referredType": "Organization"}


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


def window_of(period: TimePeriod) -> Window:
    start, end = (int(moment.timestamp() * 1000) for moment in (period.start, period.end))
    if start >= end:
        raise RequestProblem(400, "invalid_period", "validFor must start before it ends")
    return Window(start, end)


def place_of(place: PlaceRef) -> Location:
    lat, lon = (float(part) for part in place.id.removeprefix("geo:").split(","))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise RequestProblem(
            400, "invalid_place", "a geo URI is latitude -90..90, longitude -180..180"
        )
    return Location(lat, lon)


def geo(location: Location | None, role: str = "location") -> dict[str, Any] | None:
    """A place as a TMF related place: its ``geo:`` URI is both its id and its reference."""
    if location is None:
        return None
    uri = f"geo:{location.lat},{location.lon}"
    return {"id": uri, "href": uri, "role": role, "@referredType": "GeographicLocation"}


def characteristics_of(values: list[CharacteristicIn]) -> Attributes:
    """TMF characteristics as the market's attributes; a name given twice is refused."""
    named: dict[str, AttributeValue] = {item.name: item.value for item in values}
    if len(named) != len(values):
        raise RequestProblem(400, "invalid_characteristic", "each characteristic is named once")
    return attributes(named)


def select(view: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """``view`` narrowed to the first-level attributes ``fields`` names (TMF630)."""
    if not fields:
        return view
    wanted = {name.strip() for name in fields.split(",")} | set(_ALWAYS)
    return {name: value for name, value in view.items() if name in wanted}


def _characteristics(pairs: Iterable[tuple[str, object]]) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "value": value,
            "valueType": "integer" if isinstance(value, int) else "string",
        }
        for name, value in pairs
    ]


def _waits(order: ProductOrder) -> bool:
    """Whether an order waits for its confirmation or its delivery to start."""
    open_states = (OrderState.ACKNOWLEDGED, OrderState.IN_PROGRESS)
    return order.state in open_states and not order.delivering


def resource_view(asset: Asset, orders: Iterable[ProductOrder] = ()) -> dict[str, Any]:
    """A TMF639 resource; reserved while an order waits, busy while one runs."""
    mine = [order for order in orders if order.asset_id == asset.id]
    active = asset.status is AssetStatus.ACTIVE
    asset_type = asset_type_of(asset.kind)
    return compact(
        {
            "id": asset.id,
            "href": f"{RESOURCES}/{asset.id}",
            "name": asset.name,
            "category": None if asset_type is None else asset_type.value,
            "resourceSpecification": {
                "id": asset.kind,
                "href": f"{RESOURCES}?category={asset.kind.removeprefix('telco:')}",
                "name": asset.kind,
            },
            "resourceCharacteristic": _characteristics(asset.attributes),
            "place": geo(asset.location),
            "administrativeState": "unlocked" if active else "locked",
            "operationalState": "enable" if active else "disable",
            "usageState": "busy" if any(o.delivering for o in mine) else "idle",
            "resourceStatus": "reserved" if any(_waits(o) for o in mine) else "available",
            "relatedParty": [_party(asset.owner, "owner")],
            "@type": "Resource",
        }
    )


def _period(order: Order) -> dict[str, str]:
    return {"startDateTime": iso(order.valid_from_ms), "endDateTime": iso(order.valid_until_ms)}


def _price(value: int) -> dict[str, Any]:
    return {"unit": "coin", "value": value}


def offering_view(order: Order, matches: list[Suggestion] | None = None) -> dict[str, Any]:
    """A TMF620 product offering: the offer's window of its asset at its price."""
    view = {
        "id": order.id,
        "href": f"{OFFERINGS}/{order.id}",
        "name": f"{order.kind} {order.asset_id}",
        "isSellable": order.status.is_open,
        "lifecycleStatus": order.status.value,
        "category": [{"id": order.kind.removeprefix("telco:")}],
        "validFor": _period(order),
        "place": [geo(order.location)],
        "resource": {"id": order.asset_id, "href": f"{RESOURCES}/{order.asset_id}"},
        "productOfferingPrice": [{"priceType": "oneTime", "price": _price(order.unit_price)}],
        "relatedParty": [_party(order.owner, "seller")],
        "@type": "ProductOffering",
    }
    if matches is not None:
        view["match"] = [suggestion_view(found) for found in matches]
    return view


def request_view(order: Order, matches: list[Suggestion] | None = None) -> dict[str, Any]:
    """A service provider's request (Plaza's extension beside TMF620)."""
    view = {
        "id": order.id,
        "href": f"{REQUESTS}/{order.id}",
        "lifecycleStatus": order.status.value,
        "category": order.kind.removeprefix("telco:"),
        "validFor": _period(order),
        "place": geo(order.location),
        "radiusKm": order.requirements.max_distance_km,
        "maxPrice": _price(order.unit_price),
        "requiredCharacteristic": _characteristics(order.requirements.attributes),
        "relatedParty": [_party(order.owner, "customer")],
        "@type": "ProductRequest",
    }
    if matches is not None:
        view["match"] = [suggestion_view(found) for found in matches]
    return view


def suggestion_view(found: Suggestion) -> dict[str, Any]:
    """One match found: the counterpart, the price an order would pay, how far."""
    order = found.order
    href = f"{OFFERINGS if order.side.value == 'offer' else REQUESTS}/{order.id}"
    return {
        "id": order.id,
        "href": href,
        "price": _price(found.unit_price),
        "distanceKm": found.distance_km,
        "validFor": _period(order),
    }


def compact(view: dict[str, Any]) -> dict[str, Any]:
    """``view`` without its empty attributes: TMF schemas type them, and none is nullable."""
    return {name: value for name, value in view.items() if value is not None}


def _trail(order: ProductOrder) -> list[dict[str, Any]]:
    return [
        compact(
            {
                "event": step.event,
                "date": iso(step.at_ms),
                "by": step.by or None,
                "state": step.state.value,
                "toPayee": step.to_payee,
                "partPayment": step.part or None,
                "ledgerMessage": step.message_id or None,
            }
        )
        for step in order.steps
    ]


def order_view(order: ProductOrder) -> dict[str, Any]:
    """A TMF622 product order, with its trail of steps (an extension)."""
    final = order.state in FINAL
    return compact(
        {
            "id": order.id,
            "href": f"{ORDERS}/{order.id}",
            "state": order.state.value,
            "orderDate": iso(order.steps[0].at_ms),
            "completionDate": iso(order.steps[-1].at_ms) if final else None,
            "requestedStartDate": iso(order.window.start_ms),
            "requestedCompletionDate": iso(order.window.end_ms),
            "productOrderItem": [_order_item(order)],
            "productRequest": {"id": order.request_id, "href": f"{REQUESTS}/{order.request_id}"},
            "relatedParty": [
                _party(order.customer, "customer"),
                _party(order.seller, "seller"),
                _party(order.orchestrator, "orchestrator"),
            ],
            "payment": [{"id": order.hold_id, "@referredType": "HeldPayment"}]
            if order.hold_id
            else None,
            "agreement": [{"id": order.contract_id, "@referredType": "Contract"}]
            if order.contract_id
            else None,
            "awaitingConfirmationBy": order.awaiting or None,
            "resource": {"id": order.asset_id, "href": f"{RESOURCES}/{order.asset_id}"},
            "trail": _trail(order),
            "@type": "ProductOrder",
        }
    )


def _order_item(order: ProductOrder) -> dict[str, Any]:
    """The order's one item: TMF622 orders a list of items, and a Plaza order adds one
    offering once, at a one-time price, in the order's own state."""
    return {
        "id": "1",
        "action": "add",
        "quantity": 1,
        "state": order.state.value,
        "productOffering": {"id": order.offer_id, "href": f"{OFFERINGS}/{order.offer_id}"},
        "itemTotalPrice": [
            {"priceType": "oneTime", "price": {"taxIncludedAmount": _price(order.price)}}
        ],
    }


def history_view(order: ProductOrder) -> dict[str, Any]:
    """One order in its asset's history: its window, state, price and what it paid the
    asset's provider so far (its part payments as the window is served, then the rest);
    no party is named."""
    paid = sum(step.to_payee or 0 for step in order.steps)
    return {
        "id": order.id,
        "href": f"{ORDERS}/{order.id}",
        "state": order.state.value,
        "orderDate": iso(_placed_at(order)),
        "validFor": {
            "startDateTime": iso(order.window.start_ms),
            "endDateTime": iso(order.window.end_ms),
        },
        "price": _price(order.price),
        "revenue": _price(paid),
        "@type": "ProductOrderSummary",
    }


def _placed_at(order: ProductOrder) -> int:
    return order.steps[0].at_ms if order.steps else order.window.start_ms
