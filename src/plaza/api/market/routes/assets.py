"""Assets: register, list, read, describe anew, disable, enable, remove.

Assets are public like offers and requests (the seeds' public marketplace page
shows what offers are made from): reads need no credentials. Every change is the
owner's own, checked by the facade; an auditor changes nothing. Each state an
asset goes through is recorded on the asset's twin, which ``GET
/audit/assets/{asset_id}`` verifies. An order may name only an active asset of
its owner, of the order's kind. Each new state is announced to the asset's owner
(``AssetCreateEvent``, ``AssetAttributeValueChangeEvent``, ``AssetStateChangeEvent``,
``AssetDeleteEvent``) by the bid manager's asset listener, once: a replayed
registration or an unchanged description announces nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from plaza.api.errors import error_responses
from plaza.api.market.auth import CallerDep, ServicesDep
from plaza.api.market.routes.orders import IdempotencyKey
from plaza.api.market.schemas import (
    ID_PATTERN,
    AssetIn,
    AssetList,
    AssetOutcomeView,
    AssetStatusFilter,
    AssetUpdateIn,
    AssetView,
)
from plaza.api.market.views import asset_change, asset_view, near_point, new_asset
from plaza.market.assets.model import MAX_ASSETS, AssetQuery
from plaza.market.auth import Principal
from plaza.market.model import AssetStatus

__all__ = ["router"]

router = APIRouter(tags=["assets"])

AssetIdPath = Annotated[str, Path(pattern=ID_PATTERN, description="e.g. ast-3")]
_WRITE_ERRORS = error_responses(400, 401, 403, 404, 409)


def _owner(caller: Principal) -> str:
    assert caller.participant_id is not None  # principals from requests are participants
    return caller.participant_id


@router.post("/assets", status_code=201, responses=_WRITE_ERRORS)
def register_asset(
    body: AssetIn,
    caller: CallerDep,
    services: ServicesDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> AssetOutcomeView:
    """Register an asset of the caller's (``ast-N``): 201, or 200 for a replayed key."""
    spec = new_asset(_owner(caller), body)
    outcome = services.marketplace.register_asset(caller, spec, idempotency_key=idempotency_key)
    if outcome.replayed:
        response.status_code = 200
    return AssetOutcomeView(asset=asset_view(outcome.asset), replayed=outcome.replayed)


@router.get("/assets", responses=error_responses(400))
def search_assets(
    *,
    services: ServicesDep,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    owner: Annotated[str | None, Query(max_length=256)] = None,
    status: AssetStatusFilter = AssetStatusFilter.ACTIVE,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    radius_km: Annotated[float | None, Query(gt=0, le=20_038)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ASSETS)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> AssetList:
    """Registered assets, oldest first: active ones unless ``status`` says otherwise."""
    statuses = frozenset() if status is AssetStatusFilter.ANY else {AssetStatus(status.value)}
    query = AssetQuery(
        kind=kind,
        owner=owner,
        statuses=frozenset(statuses),
        near=near_point(lat, lon, radius_km),
        radius_km=radius_km,
        limit=limit,
        offset=offset,
    )
    found = services.marketplace.search_assets(query)
    return AssetList(items=[asset_view(asset) for asset in found])


@router.get("/assets/{asset_id}", responses=error_responses(400, 404))
def get_asset(asset_id: AssetIdPath, services: ServicesDep) -> AssetView:
    """One asset, whatever its status (assets are public)."""
    return asset_view(services.marketplace.asset(None, asset_id))


@router.get("/assets/{asset_id}/history", responses=error_responses(400, 404))
def asset_history(asset_id: AssetIdPath, services: ServicesDep) -> AssetList:
    """Every state the asset went through, oldest (version 1) first, each with the event
    that made it and when: the states its twin holds, public like the asset."""
    states = services.marketplace.asset_history(None, asset_id)
    return AssetList(items=[asset_view(state) for state in states])


@router.put("/assets/{asset_id}", responses=_WRITE_ERRORS)
def update_asset(
    asset_id: AssetIdPath, body: AssetUpdateIn, caller: CallerDep, services: ServicesDep
) -> AssetView:
    """Describe one of the caller's assets anew (name, location, attributes); sending the
    same description again changes nothing."""
    return asset_view(services.marketplace.update_asset(caller, asset_id, asset_change(body)))


@router.post("/assets/{asset_id}/disable", responses=_WRITE_ERRORS)
def disable_asset(asset_id: AssetIdPath, caller: CallerDep, services: ServicesDep) -> AssetView:
    """Stop new orders naming one of the caller's assets; open ones run their course."""
    return asset_view(services.marketplace.disable_asset(caller, asset_id))


@router.post("/assets/{asset_id}/enable", responses=_WRITE_ERRORS)
def enable_asset(asset_id: AssetIdPath, caller: CallerDep, services: ServicesDep) -> AssetView:
    """Let orders name a disabled asset of the caller's again."""
    return asset_view(services.marketplace.enable_asset(caller, asset_id))


@router.delete("/assets/{asset_id}", responses=_WRITE_ERRORS)
def remove_asset(asset_id: AssetIdPath, caller: CallerDep, services: ServicesDep) -> AssetView:
    """Retire one of the caller's assets for good (409 while open orders name it); the
    record stays, ``removed``, as does its twin."""
    return asset_view(services.marketplace.remove_asset(caller, asset_id))
