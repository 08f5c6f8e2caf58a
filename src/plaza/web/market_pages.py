"""The public marketplace: no login, every vertical's offers and requests.

``GET /market`` lists them, filtered and paged (:mod:`plaza.web.listings`); with
htmx (``HX-Target: results``) it answers the results table alone, so a change of
filter swaps the table, not the page. ``GET /market/{id}`` is one listing with its
digital twin's states; ``GET /market/{id}/verify`` reads those twins back from the
ledger and says what it checked. ``GET /`` is the front page, ``GET /docs`` the page of every
API's documentation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from plaza.market.errors import OrderNotFound
from plaza.market.model import Order
from plaza.web.errors import BadInput, PageNotFound
from plaza.web.listings import PAGE_SIZES, located, parse_query, select
from plaza.web.pages import pages_of

__all__ = ["VerticalCard", "router"]

router = APIRouter()
_LISTING_ID = re.compile(r"[A-Za-z0-9:._-]{1,128}")
_SIDES = ("offer", "request")
_STATUS_CHOICES = ("open", "all", "active", "disabled", "filled", "removed", "expired")


@dataclass(frozen=True, slots=True)
class VerticalCard:
    """A vertical on the front page: a newcomer sees what each one trades and where to go."""

    name: str
    label: str
    summary: str
    href: str | None
    kinds: tuple[str, ...]


def _vertical_of(request: Request, kind: str) -> str:
    verticals: dict[str, tuple[str, ...]] = request.app.state.verticals
    return next((name for name, kinds in verticals.items() if kind in kinds), "")


def _params(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "") for name in request.query_params}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request) -> HTMLResponse:
    orders = request.app.state.sources.book.orders()
    open_orders = [order for order in orders if order.status.is_open]
    figures = {
        "offers": sum(order.side.value == "offer" for order in open_orders),
        "requests": sum(order.side.value == "request" for order in open_orders),
        "listings": len(orders),
    }
    cards: tuple[VerticalCard, ...] = request.app.state.home_cards
    open_by_card = {card.name: sum(o.kind in card.kinds for o in open_orders) for card in cards}
    context = {"title": "Plaza", "figures": figures, "cards": cards, "open_by_card": open_by_card}
    return pages_of(request).render(request, "home.html", context)


@router.get("/market", response_class=HTMLResponse, include_in_schema=False)
def market(request: Request) -> HTMLResponse:
    """The listings; only the results table when htmx asks for it."""
    query = parse_query(_params(request), request.app.state.verticals)
    listings = select(request.app.state.sources.book.orders(), query)
    context: dict[str, Any] = {
        "title": "Marketplace",
        "listings": listings,
        "query": query,
        "verticals": request.app.state.verticals,
        "sides": _SIDES,
        "statuses": _STATUS_CHOICES,
        "page_sizes": PAGE_SIZES,
        "vertical_of": lambda kind: _vertical_of(request, kind),
    }
    partial = request.headers.get("hx-target") == "results"
    template = "market/_results.html" if partial else "market/list.html"
    return pages_of(request).render(request, template, context)


@router.get("/market/map", response_class=HTMLResponse, include_in_schema=False)
def market_map(request: Request) -> HTMLResponse:
    """The listings that have a place, on a map with an offline base layer (with JavaScript)
    and in a table (without)."""
    query = parse_query(_params(request), request.app.state.verticals)
    placed = located(request.app.state.sources.book.orders(), query)
    context: dict[str, Any] = {
        "title": "Marketplace map",
        "query": query,
        "placed": placed,
        "verticals": request.app.state.verticals,
        "sides": _SIDES,
        "statuses": _STATUS_CHOICES,
        "page_sizes": PAGE_SIZES,
    }
    return pages_of(request).render(request, "market/map.html", context)


@router.get("/market/map.json", include_in_schema=False)
def market_map_data(request: Request) -> JSONResponse:
    """The map's markers: each placed listing's id, side, kind, place, quantity and price."""
    query = parse_query(_params(request), request.app.state.verticals)
    units = pages_of(request).units
    listings = [
        {
            "id": order.id,
            "side": order.side.value,
            "kind": order.kind,
            "lat": order.location.lat,
            "lon": order.location.lon,
            "quantity": units.quantity(order.kind, order.remaining),
            "price": units.price(order.kind, order.unit_price),
        }
        for order in located(request.app.state.sources.book.orders(), query)
        if order.location is not None
    ]
    return JSONResponse({"listings": listings})


def _order(request: Request, listing_id: str) -> Order:
    if not _LISTING_ID.fullmatch(listing_id):
        raise BadInput("listing id", "up to 128 letters, digits and :._-")
    try:
        order: Order = request.app.state.sources.book.order(listing_id)
    except OrderNotFound:
        raise PageNotFound(f"there is no listing {listing_id}") from None
    return order


@router.get("/market/{listing_id}", response_class=HTMLResponse, include_in_schema=False)
def listing(request: Request, listing_id: str) -> HTMLResponse:
    """One listing, and every state its digital twin went through."""
    order = _order(request, listing_id)
    twins = request.app.state.sources.twins
    context = {
        "title": f"{order.side.value.capitalize()} {order.id}",
        "order": order,
        "vertical": _vertical_of(request, order.kind),
        "twin": None if twins is None else twins.states(order),
    }
    return pages_of(request).render(request, "market/listing.html", context)


@router.get("/market/{listing_id}/verify", response_class=HTMLResponse, include_in_schema=False)
def verify(request: Request, listing_id: str) -> HTMLResponse:
    """The listing's twins read back from the ledger now and held against the record: the
    verdict and what was checked. htmx swaps the verdict into the listing's page; without
    JavaScript it is a page of its own."""
    order = _order(request, listing_id)
    twins = request.app.state.sources.twins
    context = {
        "title": f"Verify {order.id}",
        "order": order,
        "verification": None if twins is None else twins.verify(order),
    }
    partial = request.headers.get("hx-request") == "true"
    name = "market/_verification.html" if partial else "market/verify.html"
    return pages_of(request).render(request, name, context)


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def docs(request: Request) -> HTMLResponse:
    """Where each API's documentation is; every one works offline (``plaza.api.docs``)."""
    apis = dict(request.app.state.sources.apis)
    context = {"title": "Documentation", "apis": apis}
    return pages_of(request).render(request, "docs.html", context)
