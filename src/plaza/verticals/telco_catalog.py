"""TMF639 resources (the assets) and TMF620 product offerings, with the service providers'
requests beside them: create, list (the manual search), read, and the matches found.

Creating an offering or a request answers 201 with ``match``: the counterparts
the market suggests for it right away (the same type, overlapping windows,
within the request's radius, the price crossing), best first. ``GET
.../{id}/match`` asks again (the owner only). Lists are public like the
market's book and page with ``offset``/``limit``, counting in ``X-Total-Count``
and ``X-Result-Count``; ``fields`` selects attributes; any other parameter is a
TMF630 attribute filter (:mod:`plaza.verticals.telco_filters`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi import Request as HttpRequest

from plaza.api.errors import RequestProblem
from plaza.api.market.auth import CallerDep, ServicesDep
from plaza.market.assets.model import MAX_ASSETS, AssetQuery
from plaza.market.auth import Principal, Role
from plaza.market.auth.errors import ParticipantNotFound
from plaza.market.book.views import OrderQuery
from plaza.market.model import Location, NewAsset, Order, Side
from plaza.telco.assets import ORCHESTRATOR, AssetType, asset_type_of, kind_of
from plaza.telco.terms import Offer, Request, Search, Window
from plaza.verticals.telco_errors import TmfRoute, tmf_errors
from plaza.verticals.telco_filters import attribute_filters, matching
from plaza.verticals.telco_runtime import DeskDep
from plaza.verticals.telco_schemas import OfferingIn, RequestIn, ResourceIn, View
from plaza.verticals.telco_views import (
    characteristics_of,
    history_view,
    offering_view,
    place_of,
    request_view,
    resource_view,
    select,
    window_of,
)

__all__ = ["router"]

router = APIRouter(route_class=TmfRoute)

RESOURCE = "/tmf-api/resourceInventoryManagement/v4/resource"
OFFERING = "/tmf-api/productCatalogManagement/v4/productOffering"
REQUEST = "/tmf-api/productCatalogManagement/v4/productRequest"
IdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,128}$")]
Fields = Annotated[str | None, Query(max_length=512, description="attributes to return")]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]
Limit = Annotated[int, Query(ge=1, le=1000)]
_WRITE = tmf_errors(400, 401, 403, 404, 409, 422)
_MAX_ORDERS = 10_000


def _page(response: Response, views: list[dict[str, Any]], offset: int, limit: int) -> list[Any]:
    response.headers["X-Total-Count"] = str(len(views))
    page = views[offset : offset + limit]
    response.headers["X-Result-Count"] = str(len(page))
    return page


def _filtered(
    request: HttpRequest, views: list[dict[str, Any]], declared: set[str]
) -> list[dict[str, Any]]:
    """``views`` narrowed by the request's TMF630 attribute filters (``name.op=value``)."""
    return matching(views, attribute_filters(request.query_params, declared))


#: The manual search's own parameters: the rest of a list's query are attribute filters.
_CRITERIA = {"category", "lat", "lon", "radiusKm", "from", "until", "maxPrice", "minPrice"}


def _owner(caller: Principal) -> str:
    assert caller.participant_id is not None  # principals from requests are participants
    return caller.participant_id


# -- resources -------------------------------------------------------------------------


@router.post(RESOURCE, status_code=201, responses=_WRITE, response_model=View)
def create_resource(body: ResourceIn, caller: CallerDep, services: ServicesDep) -> Any:
    """Register a telco asset of the caller's: its type, place and characteristics (an
    ``orchestrator`` among them names who configures access for its orders: the caller
    itself or one of the operators; left out, the caller)."""
    spec = NewAsset(
        _owner(caller),
        kind_of(body.category),
        body.name,
        place_of(body.place),
        characteristics_of(body.resource_characteristic),
    )
    named = dict(spec.attributes).get(ORCHESTRATOR)
    if isinstance(named, str) and named != spec.owner:
        try:
            roles = services.registry.get(named).roles
        except ParticipantNotFound:
            roles = frozenset()
        if Role.OPERATOR not in roles:
            why = "orchestrator must be the asset's provider or one of the operators"
            raise RequestProblem(422, "not_orchestrator", why)
    outcome = services.marketplace.register_asset(caller, spec)
    return resource_view(outcome.asset)


@router.get(RESOURCE, responses=tmf_errors(400), response_model=list[View])
def list_resources(
    *,
    request: HttpRequest,
    services: ServicesDep,
    desk: DeskDep,
    response: Response,
    category: AssetType | None = None,
    fields: Fields = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> Any:
    """Active telco assets, of one type or all, oldest first."""
    types = [category] if category is not None else list(AssetType)
    assets = [
        asset
        for asset_type in types
        for asset in services.marketplace.search_assets(
            AssetQuery(kind=kind_of(asset_type), limit=MAX_ASSETS)
        )
    ]
    orders = desk.all_orders()
    views = _filtered(request, [resource_view(asset, orders) for asset in assets], {"category"})
    return [select(view, fields) for view in _page(response, views, offset, limit)]


@router.get(f"{RESOURCE}/{{resource_id}}", responses=tmf_errors(404), response_model=View)
def get_resource(
    resource_id: IdPath, services: ServicesDep, desk: DeskDep, fields: Fields = None
) -> Any:
    asset = services.marketplace.asset(None, resource_id)
    if asset_type_of(asset.kind) is None:
        raise RequestProblem(404, "asset_not_found", f"no telco resource {resource_id}")
    return select(resource_view(asset, desk.all_orders()), fields)


@router.get(
    f"{RESOURCE}/{{resource_id}}/history", responses=tmf_errors(404), response_model=list[View]
)
def resource_history(resource_id: IdPath, services: ServicesDep, desk: DeskDep) -> Any:
    """The orders that used an asset, oldest first, and what each paid its provider (Plaza's
    extension beside TMF639): the public record the asset's channel keeps, so an asset's
    page shows its history and revenue; who bought it stays between the parties."""
    get_resource(resource_id, services, desk)  # 404 for what is not a telco asset
    used = [order for order in desk.all_orders() if order.asset_id == resource_id]
    return [
        history_view(order)
        for order in sorted(used, key=lambda o: o.steps[0].at_ms if o.steps else 0)
    ]


# -- offerings and requests ------------------------------------------------------------


@router.post(OFFERING, status_code=201, responses=_WRITE, response_model=View)
def create_offering(body: OfferingIn, caller: CallerDep, services: ServicesDep) -> Any:
    """Offer one of the caller's assets for a window at a price; answers the matches found."""
    market = services.marketplace
    asset = market.asset(caller, body.resource.id)
    asset_type = asset_type_of(asset.kind)
    if asset_type is None or asset.location is None:
        raise RequestProblem(422, "not_telco", f"{asset.id} is not a telco asset")
    price = body.product_offering_price[0].price.value
    window = window_of(body.valid_for)
    offer = Offer(
        _owner(caller), asset.id, asset_type, asset.location, window, price, asset.attributes
    )
    order = market.submit_order(caller, offer.order()).order
    return offering_view(order, market.suggest_matches(caller, order.id))


@router.post(REQUEST, status_code=201, responses=_WRITE, response_model=View)
def create_request(body: RequestIn, caller: CallerDep, services: ServicesDep) -> Any:
    """Request an asset type near a place for a window; answers the matches found."""
    market = services.marketplace
    request = Request(
        _owner(caller),
        body.category,
        place_of(body.place),
        body.radius_km,
        window_of(body.valid_for),
        body.max_price.value,
        characteristics_of(body.required_characteristic),
    )
    order = market.submit_order(caller, request.order()).order
    return request_view(order, market.suggest_matches(caller, order.id))


def _search(services: ServicesDep, search: Search) -> list[Order]:
    """The manual search: the market's own search narrowed, then the window's overlap."""
    query = OrderQuery(
        kind=None if search.asset_type is None else kind_of(search.asset_type),
        side=search.side,
        max_price=search.max_price,
        min_price=search.min_price,
        near=search.near,
        radius_km=search.radius_km,
        limit=_MAX_ORDERS,
    )
    return [order for order in services.marketplace.search(query) if search.fits(order)]


Lat = Annotated[float | None, Query(ge=-90, le=90)]
Lon = Annotated[float | None, Query(ge=-180, le=180)]
Radius = Annotated[float | None, Query(alias="radiusKm", gt=0, le=20_038)]
Ms = Annotated[int | None, Query(ge=0, le=2**53, description="ms since the epoch")]
Price = Annotated[int | None, Query(ge=0, le=2**63 - 1)]


def criteria(
    *,
    category: AssetType | None = None,
    lat: Lat = None,
    lon: Lon = None,
    radius_km: Radius = None,
    start: Annotated[Ms, Query(alias="from")] = None,
    end: Annotated[Ms, Query(alias="until")] = None,
    max_price: Annotated[Price, Query(alias="maxPrice")] = None,
    min_price: Annotated[Price, Query(alias="minPrice")] = None,
) -> Search:
    """The search's filters: a place needs a radius, a window both ends."""
    if (lat is None) != (lon is None) or (lat is None) != (radius_km is None):
        raise RequestProblem(400, "invalid_search", "lat, lon and radiusKm come together")
    if (start is None) != (end is None):
        raise RequestProblem(400, "invalid_search", "from and until come together")
    window = None
    if start is not None and end is not None:
        if start >= end:
            raise RequestProblem(400, "invalid_search", "from must be before until")
        window = Window(start, end)
    near = None if lat is None or lon is None else Location(lat, lon)
    return Search(None, category, near, radius_km, window, max_price, min_price)


CriteriaDep = Annotated[Search, Depends(criteria)]


@router.get(OFFERING, responses=tmf_errors(400), response_model=list[View])
def list_offerings(
    *,
    request: HttpRequest,
    search: CriteriaDep,
    services: ServicesDep,
    response: Response,
    fields: Fields = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> Any:
    """Active offerings: the manual search (type, place and radius, window, price)."""
    found = _search(services, replace(search, side=Side.OFFER))
    views = _filtered(request, [offering_view(order) for order in found], _CRITERIA)
    return [select(view, fields) for view in _page(response, views, offset, limit)]


@router.get(REQUEST, responses=tmf_errors(400), response_model=list[View])
def list_requests(
    *,
    request: HttpRequest,
    search: CriteriaDep,
    services: ServicesDep,
    response: Response,
    fields: Fields = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> Any:
    """Active requests, searched with the same filters as offerings."""
    found = _search(services, replace(search, side=Side.REQUEST))
    views = _filtered(request, [request_view(order) for order in found], _CRITERIA)
    return [select(view, fields) for view in _page(response, views, offset, limit)]


def _telco(services: ServicesDep, order_id: str, side: Side) -> Order:
    order = services.marketplace.order(None, order_id)
    if asset_type_of(order.kind) is None or order.side is not side:
        raise RequestProblem(404, "order_not_found", f"no telco {side.value} {order_id}")
    return order


@router.get(f"{OFFERING}/{{offering_id}}", responses=tmf_errors(404), response_model=View)
def get_offering(offering_id: IdPath, services: ServicesDep, fields: Fields = None) -> Any:
    return select(offering_view(_telco(services, offering_id, Side.OFFER)), fields)


@router.get(f"{REQUEST}/{{request_id}}", responses=tmf_errors(404), response_model=View)
def get_request(request_id: IdPath, services: ServicesDep, fields: Fields = None) -> Any:
    return select(request_view(_telco(services, request_id, Side.REQUEST)), fields)


_MATCH = tmf_errors(401, 403, 404)


@router.get(f"{OFFERING}/{{offering_id}}/match", responses=_MATCH, response_model=View)
def match_offering(offering_id: IdPath, caller: CallerDep, services: ServicesDep) -> Any:
    """The requests the caller's offering matches now, best first."""
    order = _telco(services, offering_id, Side.OFFER)
    return offering_view(order, services.marketplace.suggest_matches(caller, order.id))


@router.get(f"{REQUEST}/{{request_id}}/match", responses=_MATCH, response_model=View)
def match_request(request_id: IdPath, caller: CallerDep, services: ServicesDep) -> Any:
    """The offerings the caller's request matches now, best first."""
    order = _telco(services, request_id, Side.REQUEST)
    return request_view(order, services.marketplace.suggest_matches(caller, order.id))
