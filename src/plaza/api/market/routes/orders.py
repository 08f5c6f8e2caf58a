"""Offers and requests: submit, search, read, cancel, disable, enable, match by hand.

Offers and requests are public, as on the seeds' public marketplace page: reads
need no credentials. Every change is the owner's own, checked by the facade.
Each step that changed orders is announced as ``OrderStateChangeEvent`` s to
their owners, counterparts included; contracts announce themselves through
the settlement listener.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response

from plaza.api.errors import error_responses
from plaza.api.market.auth import CallerDep, ServicesDep
from plaza.api.market.schemas import (
    ID_PATTERN,
    ConfirmIn,
    ContractView,
    OrderIn,
    OrderList,
    OrderOutcomeView,
    OrderView,
    SuggestionList,
)
from plaza.api.market.services import MarketServices
from plaza.api.market.views import (
    contract_view,
    near_point,
    new_order,
    order_view,
    suggestion_view,
)
from plaza.market.auth import Principal
from plaza.market.book.views import OrderQuery
from plaza.market.contracts import SignedContract
from plaza.market.marketplace import OrderOutcome
from plaza.market.model import Order, Side

__all__ = ["router"]

router = APIRouter(tags=["orders"])

OrderIdPath = Annotated[str, Path(pattern=ID_PATTERN, description="e.g. ord-12")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="a retry with the same key returns the first outcome, never a second order",
    ),
]
_WRITE_ERRORS = error_responses(400, 401, 403, 404, 409)


def _owner(caller: Principal) -> str:
    assert caller.participant_id is not None  # principals from requests are participants
    return caller.participant_id


def _counterparts(order: Order, contracts: tuple[SignedContract, ...]) -> list[str]:
    return [
        contract.match.request_id if order.side is Side.OFFER else contract.match.offer_id
        for contract in contracts
    ]


def _outcome(
    services: MarketServices, caller: Principal, outcome: OrderOutcome
) -> OrderOutcomeView:
    """The outcome as the caller sees it; new steps are announced to every order's owner."""
    market = services.marketplace
    if not outcome.replayed:
        others = [market.order(None, i) for i in _counterparts(outcome.order, outcome.contracts)]
        services.notifier.orders_changed([outcome.order, *others])
    contracts = [
        contract_view(contract, market.settlement(caller, contract.match.id))
        for contract in outcome.contracts
    ]
    return OrderOutcomeView(
        order=order_view(outcome.order), contracts=contracts, replayed=outcome.replayed
    )


def _submit(
    side: Side,
    *,
    body: OrderIn,
    caller: Principal,
    services: MarketServices,
    response: Response,
    key: str | None,
) -> OrderOutcomeView:
    spec = new_order(side, _owner(caller), body)
    outcome = services.marketplace.submit_order(caller, spec, idempotency_key=key)
    if outcome.replayed:
        response.status_code = 200
    return _outcome(services, caller, outcome)


@router.post("/offers", status_code=201, responses=_WRITE_ERRORS)
def submit_offer(
    body: OrderIn,
    caller: CallerDep,
    services: ServicesDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> OrderOutcomeView:
    """Offer something; it is matched at once by the policy. 201, or 200 for a replayed key."""
    return _submit(
        Side.OFFER,
        body=body,
        caller=caller,
        services=services,
        response=response,
        key=idempotency_key,
    )


@router.post("/requests", status_code=201, responses=_WRITE_ERRORS)
def submit_request(
    body: OrderIn,
    caller: CallerDep,
    services: ServicesDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> OrderOutcomeView:
    """Request something; it is matched at once by the policy. 201, or 200 for a replayed key."""
    return _submit(
        Side.REQUEST,
        body=body,
        caller=caller,
        services=services,
        response=response,
        key=idempotency_key,
    )


@router.get("/orders", responses=error_responses(400))
def search_orders(
    *,
    services: ServicesDep,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    side: Side | None = None,
    min_price: Annotated[int | None, Query(ge=0)] = None,
    max_price: Annotated[int | None, Query(ge=0)] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    radius_km: Annotated[float | None, Query(gt=0, le=20_038)] = None,
    min_quality: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> OrderList:
    """The public marketplace page: active offers and requests, best price first."""
    query = OrderQuery(
        kind=kind,
        side=side,
        min_price=min_price,
        max_price=max_price,
        near=near_point(lat, lon, radius_km),
        radius_km=radius_km,
        min_quality=min_quality,
        limit=limit,
    )
    return OrderList(items=[order_view(order) for order in services.marketplace.search(query)])


@router.get("/orders/{order_id}", responses=error_responses(400, 404))
def get_order(order_id: OrderIdPath, services: ServicesDep) -> OrderView:
    """One order, whatever its status (orders are public)."""
    return order_view(services.marketplace.order(None, order_id))


@router.post("/orders/{order_id}/cancel", responses=_WRITE_ERRORS)
def cancel_order(order_id: OrderIdPath, caller: CallerDep, services: ServicesDep) -> OrderView:
    """Remove one of the caller's open orders for good."""
    order = services.marketplace.cancel_order(caller, order_id)
    services.notifier.orders_changed([order])
    return order_view(order)


@router.post("/orders/{order_id}/disable", responses=_WRITE_ERRORS)
def disable_order(order_id: OrderIdPath, caller: CallerDep, services: ServicesDep) -> OrderView:
    """Keep one of the caller's orders but stop it matching until it is enabled."""
    order = services.marketplace.disable_order(caller, order_id)
    services.notifier.orders_changed([order])
    return order_view(order)


@router.post("/orders/{order_id}/enable", responses=_WRITE_ERRORS)
def enable_order(
    order_id: OrderIdPath, caller: CallerDep, services: ServicesDep
) -> OrderOutcomeView:
    """Make a disabled order active again (at the back of its price level) and match it."""
    return _outcome(services, caller, services.marketplace.enable_order(caller, order_id))


@router.get("/orders/{order_id}/suggestions", responses=error_responses(401, 403, 404, 409))
def suggestions(order_id: OrderIdPath, caller: CallerDep, services: ServicesDep) -> SuggestionList:
    """Ranked counterparts for one of the caller's active orders (manual matching)."""
    found = services.marketplace.suggest_matches(caller, order_id)
    return SuggestionList(items=[suggestion_view(suggestion) for suggestion in found])


@router.post(
    "/orders/{order_id}/confirm",
    status_code=201,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
def confirm_match(
    order_id: OrderIdPath,
    body: ConfirmIn,
    caller: CallerDep,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> ContractView:
    """Match one of the caller's orders with a chosen counterpart, at the offer's price."""
    market = services.marketplace
    contract = market.confirm_match(
        caller, order_id, body.counter_id, quantity=body.quantity, idempotency_key=idempotency_key
    )
    match = contract.match
    services.notifier.orders_changed(
        [market.order(None, match.offer_id), market.order(None, match.request_id)]
    )
    return contract_view(contract, market.settlement(caller, match.id))
