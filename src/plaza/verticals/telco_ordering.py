"""TMF622 product ordering over the telco desk: orders, their cancellation, and the hub.

* ``POST productOrder``: an order of one item from a match, placed by either
  side: the service provider from its request, with the hold paying it in
  ``payment`` (201; 200 when the same hold's order is placed again), or the
  asset provider from its offering, with no payment; ``acknowledged`` until the
  other side confirms it. The orchestrator is the asset's (an order naming
  another in ``relatedParty`` is refused);
* ``GET productOrder``, ``GET productOrder/{id}``: the caller's orders (its
  own as customer, seller or orchestrator; an auditor's, any, and
  ``relatedParty.id`` narrows them to one participant's), with their trail;
* ``PATCH productOrder/{id}`` (merge-patch of ``state``): of an
  ``acknowledged`` order, the other side's ``inProgress`` (its confirmation;
  the service provider's carries its hold in ``payment``) or ``rejected``, the
  placer's ``cancelled``; of a confirmed one, the orchestrator's ``inProgress``
  (access configured) or ``failed`` (the asset failed);
* ``POST cancelProductOrder``: the TMF way to cancel, answered ``done``: also
  the customer's cancellation of a confirmed order before its window;
* ``GET productOrder/{id}/hold``: the order's hold as the ledger has it, what
  an auditor checks the trail against;
* ``POST hub``, ``DELETE hub/{id}``: listeners of the caller's order events
  (``ProductOrderCreateEvent``, ``ProductOrderStateChangeEvent``) posted to
  ``{callback}/listener/{eventName}``, pinned to the caller like every hub
  subscription of the market.

Time's own steps (a window started unreported, ended) are applied before each
read; a report (access configured, the asset failed) is judged as it comes.
A refusal is the market's error body with the status it deserves and changes
nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from plaza.api.errors import RequestProblem
from plaza.api.market.auth import CallerDep, ServicesDep
from plaza.api.market.notifications import pinned_query, subscriber_of
from plaza.market.auth import Forbidden, Principal, Role, Scope
from plaza.notify import EventQuery
from plaza.telco.desk import CREATED, STATE_CHANGED, OrderDesk, Placement
from plaza.telco.orders import OrderRefused, ProductOrder
from plaza.verticals.telco_errors import TmfRoute, tmf_errors
from plaza.verticals.telco_filters import attribute_filters, matching
from plaza.verticals.telco_runtime import DeskDep
from plaza.verticals.telco_schemas import CancelIn, HubIn, HubView, OrderIn, OrderPatchIn, View
from plaza.verticals.telco_views import ORDERS, compact, iso, order_view, select

__all__ = ["router"]

router = APIRouter(route_class=TmfRoute)

ORDERING = "/tmf-api/productOrderingManagement/v4"
IdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,128}$")]
Fields = Annotated[str | None, Query(max_length=512, description="attributes to return")]
_EVENT_TYPES = (CREATED, STATE_CHANGED)


@contextmanager
def refusals() -> Iterator[None]:
    """The desk's refusals as the API's error answers."""
    try:
        yield
    except OrderRefused as refused:
        raise RequestProblem(refused.status, refused.code, refused.message) from None


def _acting(caller: Principal) -> str:
    """The caller, once it is clear it may act (write, or orchestrate as an operator)."""
    assert caller.participant_id is not None  # principals from requests are participants
    if Scope.MARKET_WRITE not in caller.scopes and Role.OPERATOR not in caller.roles:
        raise Forbidden("act on a product order", "the caller holds no write scope")
    return caller.participant_id


def _placement(body: OrderIn) -> Placement:
    orchestrators = [party.id for party in body.related_party if party.role == "orchestrator"]
    if len(orchestrators) > 1:
        raise RequestProblem(400, "invalid_order", "relatedParty names one orchestrator at most")
    offer = body.product_order_item[0].product_offering.id
    hold = bytes.fromhex(body.payment[0].id) if body.payment else None
    named = orchestrators[0] if orchestrators else None
    return Placement(body.product_request.id, offer, hold, named)


def _swept(desk: OrderDesk) -> None:
    with refusals():
        desk.sweep()


@router.post(
    f"{ORDERING}/productOrder",
    status_code=201,
    responses=tmf_errors(400, 401, 403, 404, 409, 422, 503),
    response_model=View,
)
def create_order(body: OrderIn, caller: CallerDep, desk: DeskDep, response: Response) -> Any:
    """Order an offering for a request from a match: the request's owner with the hold
    named in ``payment``, or the offering's owner with none."""
    _acting(caller)
    with refusals():
        order, new = desk.place(caller, _placement(body))
    if not new:
        response.status_code = 200
    return order_view(order)


@router.get(
    f"{ORDERING}/productOrder",
    responses=tmf_errors(400, 401, 503),
    response_model=list[View],
)
def list_orders(
    *,
    request: Request,
    caller: CallerDep,
    desk: DeskDep,
    response: Response,
    party: Annotated[str | None, Query(alias="relatedParty.id", max_length=256)] = None,
    state: Annotated[str | None, Query(max_length=32)] = None,
    fields: Fields = None,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    """The orders the caller may read, oldest first; ``state`` (one, or several
    comma-separated), ``relatedParty.id`` and TMF630 attribute filters narrow them."""
    _swept(desk)
    states = None if state is None else set(state.split(","))  # TMF630: a list is an OR
    found = [o for o in desk.orders(caller, party) if states is None or o.state.value in states]
    filters = attribute_filters(request.query_params, {"relatedParty.id", "state"})
    views = matching([order_view(order) for order in found], filters)
    response.headers["X-Total-Count"] = str(len(views))
    page = views[offset : offset + limit]
    response.headers["X-Result-Count"] = str(len(page))
    return [select(view, fields) for view in page]


def _read(desk: OrderDesk, caller: Principal, order_id: str) -> ProductOrder:
    _swept(desk)
    with refusals():
        return desk.order(caller, order_id)


@router.get(
    f"{ORDERING}/productOrder/{{order_id}}",
    responses=tmf_errors(401, 404, 503),
    response_model=View,
)
def get_order(order_id: IdPath, caller: CallerDep, desk: DeskDep, fields: Fields = None) -> Any:
    return select(order_view(_read(desk, caller, order_id)), fields)


@router.patch(
    f"{ORDERING}/productOrder/{{order_id}}",
    responses=tmf_errors(400, 401, 403, 404, 409, 503),
    response_model=View,
)
def patch_order(order_id: IdPath, body: OrderPatchIn, caller: CallerDep, desk: DeskDep) -> Any:
    """Merge-patch ``state``. While ``acknowledged``: ``inProgress`` (the other side
    confirms; the service provider with its hold in ``payment``), ``rejected`` (the other
    side declines) or ``cancelled`` (the placer withdraws). Once confirmed: ``inProgress``
    (the orchestrator: access configured, the hold is paid to the asset provider) or
    ``failed`` (the orchestrator: the asset failed, paid pro rata while the hold is open)."""
    _acting(caller)
    with refusals():
        desk.order(caller, order_id)  # others' orders are unknown to the caller: 404
    hold = bytes.fromhex(body.payment[0].id) if body.payment else None
    if hold is not None and body.state != "inProgress":
        raise RequestProblem(400, "invalid_patch", "a payment comes with a confirmation only")
    steps = {
        "cancelled": desk.cancel,
        "rejected": desk.reject,
        "inProgress": lambda caller, order_id: desk.progress(caller, order_id, hold),
        "failed": desk.asset_failed,
    }
    with refusals():
        return order_view(steps[body.state](caller, order_id))


@router.post(
    f"{ORDERING}/cancelProductOrder",
    status_code=201,
    responses=tmf_errors(400, 401, 403, 404, 409, 503),
    response_model=View,
)
def cancel_order(body: CancelIn, caller: CallerDep, desk: DeskDep) -> Any:
    """Cancel an order: the placer's unconfirmed one, or the customer's confirmed one before
    its window starts; a customer's hold is refunded."""
    _acting(caller)
    order_id = body.product_order.id
    with refusals():
        desk.order(caller, order_id)
        order = desk.cancel(caller, order_id, in_flight=True)
    return compact(
        {
            "id": f"cancel-{order.id}",
            "href": f"{ORDERING}/cancelProductOrder/cancel-{order.id}",
            "state": "done",
            "effectiveCancellationDate": iso(order.steps[-1].at_ms),
            "cancellationReason": body.cancellation_reason,
            "productOrder": {"id": order.id, "href": f"{ORDERS}/{order.id}"},
            "@type": "CancelProductOrder",
        }
    )


@router.get(
    f"{ORDERING}/productOrder/{{order_id}}/hold",
    responses=tmf_errors(401, 404, 503),
    response_model=dict[str, Any],
)
async def order_hold(order_id: IdPath, caller: CallerDep, desk: DeskDep) -> Any:
    """The order's hold on the ledger now: open (with what its part payments paid so far
    and what remains), or closed with what the payee got in all and the settlement that
    closed it, to compare with the order's trail."""

    def read() -> Any:
        with refusals():
            return desk.hold(caller, order_id)

    record = await run_in_threadpool(read)
    if record is None:
        return {"id": desk.order(caller, order_id).hold_id, "status": "unconfirmed"}
    return {
        "id": record.hold.id.hex(),
        "status": record.status.value,
        "amount": record.hold.amount,
        "toPayee": record.to_payee,
        "remaining": record.remaining,
        "closedBy": None if record.closed_by is None else record.closed_by.hex(),
    }


def _listener(callback: str, event_type: str) -> str:
    """TMF's ``{callback}/listener/{eventName}``: ``.../listener/productOrderCreateEvent``."""
    parts = urlsplit(callback)
    name = event_type[0].lower() + event_type[1:]
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}/listener/{name}"))


@router.post(f"{ORDERING}/hub", status_code=201, responses=tmf_errors(400, 401, 403))
def subscribe(body: HubIn, caller: CallerDep, services: ServicesDep) -> HubView:
    """Register a listener for the caller's product order events (TMF ``query`` optional):
    each event is posted to ``{callback}/listener/{eventName}``. The hub's id names one
    market subscription per event type, joined by dots."""
    query = pinned_query(body.query, _acting(caller))
    wanted = sorted(query.event_types or _EVENT_TYPES)
    if not set(wanted) <= set(_EVENT_TYPES):
        raise RequestProblem(400, "invalid_query", f"eventType is one of {', '.join(_EVENT_TYPES)}")
    ids = [
        services.hub.register(
            _listener(body.callback, event_type),
            query=EventQuery(frozenset({event_type}), query.fields),
        ).id
        for event_type in wanted
    ]
    shown = EventQuery(frozenset(wanted), query.fields).render()
    return HubView(id=".".join(ids), callback=body.callback, query=shown)


@router.delete(
    f"{ORDERING}/hub/{{subscription_id}}",
    status_code=204,
    responses=tmf_errors(401, 403, 404),
)
def unsubscribe(subscription_id: IdPath, caller: CallerDep, services: ServicesDep) -> Response:
    """Remove a listener of the caller's (every market subscription its id names)."""
    ids = subscription_id.split(".")
    for part in ids:
        if subscriber_of(services.hub.subscription(part)) != _acting(caller):
            raise Forbidden("remove a subscription", "it is not the caller's")
    for part in ids:
        services.hub.unregister(part)
    return Response(status_code=204)
