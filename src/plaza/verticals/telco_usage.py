"""TMF635 usage records: each product order whose asset was used, and what the use cost.

An order's usage exists once its hold closed having paid the asset provider
something: the rest paid before the window's end (the whole window), or a
failure during it (the share served). It says which asset was used by whom,
from when until when (the window, or up to the failure), and its rated amount
(the hold's part payments and closing together), ``billed`` once every one of
those reached the ledger (``rated`` before). A cancelled order, refunded in
full, was never used. Usage is derived from the orders, so it reads as they do:
their parties, their orchestrator and auditors; others' usage is unknown (404).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from plaza.api.errors import RequestProblem
from plaza.api.market.auth import CallerDep
from plaza.telco.orders import OrderRefused, OrderState, ProductOrder, Step
from plaza.verticals.telco_errors import TmfRoute, tmf_errors
from plaza.verticals.telco_filters import attribute_filters, matching
from plaza.verticals.telco_ordering import refusals
from plaza.verticals.telco_runtime import DeskDep
from plaza.verticals.telco_schemas import View
from plaza.verticals.telco_views import BASE, ORDERS, compact, iso, select

__all__ = ["router", "usage_view"]

router = APIRouter(route_class=TmfRoute)

USAGE = "/tmf-api/usageManagement/v4/usage"
_PREFIX = "usage-"
IdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,128}$")]
Fields = Annotated[str | None, Query(max_length=512, description="attributes to return")]


def _used(order: ProductOrder) -> bool:
    """Whether the hold closed having paid the asset provider something (with its part
    payments): a refunded order was never used."""
    return order.paid_out and order.paid > 0


def _served_until(order: ProductOrder) -> int:
    """The window's end, or the failure that cut it short while the hold was open."""
    closing = order.closing
    if order.state is OrderState.FAILED and closing is not None and closing.event == "assetFailed":
        return min(closing.at_ms, order.window.end_ms)
    return order.window.end_ms


def _characteristics(order: ProductOrder, closing: Step) -> list[dict[str, Any]]:
    """What was used: the resource, the order, the window served, its settlement."""
    start, end = order.window.start_ms, _served_until(order)
    found = [
        ("resourceId", order.asset_id, "string"),
        ("productOrderId", order.id, "string"),
        ("startDateTime", iso(start), "dateTime"),
        ("endDateTime", iso(end), "dateTime"),
        ("servedMinutes", max(end - start, 0) // 60_000, "integer"),
    ]
    if closing.message_id:
        found.append(("ledgerMessage", closing.message_id, "string"))
    return [{"name": name, "value": value, "valueType": kind} for name, value, kind in found]


def usage_view(order: ProductOrder, origin: str) -> dict[str, Any]:
    """The TMF635 usage of a used order; its links are absolute URIs under ``origin``
    (``http://host:port``), as TMF635's schema wants them."""
    closing = order.closing
    assert closing is not None  # only used orders have usage
    billed = not order.unsent  # every payment from the hold reached the ledger
    rated = {
        "ratingDate": iso(closing.at_ms),
        "ratingAmountType": "total",
        "usageRatingTag": "usage",
        "isBilled": billed,
        "taxIncludedRatingAmount": {"unit": "coin", "value": order.paid},
        "productRef": {"id": order.id, "href": f"{origin}{ORDERS}/{order.id}"},
        "@type": "RatedProductUsage",
    }
    return compact(
        {
            "id": f"{_PREFIX}{order.id}",
            "href": f"{origin}{BASE}{USAGE.removeprefix('/tmf-api')}/{_PREFIX}{order.id}",
            "description": f"resource {order.asset_id} for product order {order.id}",
            "usageDate": iso(closing.at_ms),
            "usageType": "assetWindow",
            "status": "billed" if billed else "rated",
            "usageCharacteristic": _characteristics(order, closing),
            "ratedProductUsage": [rated],
            "relatedParty": [
                {"id": order.customer, "role": "customer", "@referredType": "Organization"},
                {"id": order.seller, "role": "seller", "@referredType": "Organization"},
            ],
            "@type": "Usage",
        }
    )


@router.get(USAGE, responses=tmf_errors(400, 401), response_model=list[View])
def list_usage(
    *,
    request: Request,
    caller: CallerDep,
    desk: DeskDep,
    response: Response,
    party: Annotated[str | None, Query(alias="relatedParty.id", max_length=256)] = None,
    resource: Annotated[str | None, Query(alias="resourceId", max_length=128)] = None,
    fields: Fields = None,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    """The usage of the orders the caller may read, oldest first; ``relatedParty.id`` and
    ``resourceId`` narrow it."""
    with refusals():
        desk.sweep()
    used = [o for o in desk.orders(caller, party) if _used(o)]
    if resource is not None:
        used = [o for o in used if o.asset_id == resource]
    origin = str(request.base_url).rstrip("/")
    filters = attribute_filters(request.query_params, {"relatedParty.id", "resourceId"})
    views = matching([usage_view(order, origin) for order in used], filters)
    response.headers["X-Total-Count"] = str(len(views))
    page = views[offset : offset + limit]
    response.headers["X-Result-Count"] = str(len(page))
    return [select(view, fields) for view in page]


@router.get(f"{USAGE}/{{usage_id}}", responses=tmf_errors(401, 404), response_model=View)
def get_usage(
    usage_id: IdPath, request: Request, caller: CallerDep, desk: DeskDep, fields: Fields = None
) -> Any:
    unknown = RequestProblem(404, "usage_not_found", f"no usage {usage_id}")
    if not usage_id.startswith(_PREFIX):
        raise unknown
    with refusals():
        desk.sweep()
    try:
        order = desk.order(caller, usage_id.removeprefix(_PREFIX))
    except OrderRefused:
        raise unknown from None
    if not _used(order):
        raise unknown
    return select(usage_view(order, str(request.base_url).rstrip("/")), fields)
