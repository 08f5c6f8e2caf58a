"""The telco assets' web pages (issue 14, item 7): the marketplace's cards and an asset's page.

Mounted by the web app through ``Vertical.pages`` (docs/verticals.md). Everything is
read from the marketplace the web app is connected to (``WebSources.market_url``, the
one the dashboard trades at), through the telco vertical's public TM Forum reads, as
anyone may read them: ``/telco`` shows the open offerings and the service providers'
requests as cards (asset type, city, window, price); ``/telco/assets/{id}`` shows one
asset, its open offerings, and its history: the orders that used it and what each paid
its provider. No page needs JavaScript, and none sends a credential: the web server
reads what is public. The dashboard's telco section (``templates/telco/_dashboard.html``,
``static/telco/telco.js``) adds an asset, offers it, requests one, shows "match found"
and orders a match, each signed in the browser and sent through the dashboard's relay.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from plaza.verticals.model import VerticalPages

__all__ = ["pages"]

_HERE = Path(__file__).parent
_TMF = "/api/v1/market/telco/tmf-api"
RESOURCE = f"{_TMF}/resourceInventoryManagement/v4/resource"
OFFERING = f"{_TMF}/productCatalogManagement/v4/productOffering"
REQUEST = f"{_TMF}/productCatalogManagement/v4/productRequest"
_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
#: How many of each the marketplace page shows (the newest); the API pages the rest.
SHOWN = 100
router = APIRouter()


class Unavailable(Exception):
    """The marketplace cannot be read: the status the page answers and why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _read(request: Request, path: str, params: Mapping[str, str | int] | None = None) -> Any:
    """The marketplace's JSON answer to a public ``GET path``; :class:`Unavailable` if it
    has none to give (no marketplace connected, a refusal, or silence)."""
    market: str | None = request.app.state.sources.market_url
    if market is None:
        raise Unavailable(404, "This site is not connected to a marketplace.")
    try:
        answer = httpx.get(market.rstrip("/") + path, params=params, timeout=_TIMEOUT)
    except httpx.HTTPError as error:
        raise Unavailable(503, f"The marketplace is not answering: {error}") from error
    if answer.status_code == 404:
        raise Unavailable(404, "There is no such telco asset.")
    if answer.status_code != 200:
        raise Unavailable(503, f"The marketplace answered {answer.status_code}.")
    return answer.json()


def window_text(valid_for: Mapping[str, str]) -> str:
    """``2026-12-07 13:00:10 to 13:00:40 UTC`` (the end's day too when it differs)."""
    start = datetime.fromisoformat(valid_for["startDateTime"])
    end = datetime.fromisoformat(valid_for["endDateTime"])
    end_text = end.strftime("%H:%M:%S" if end.date() == start.date() else "%Y-%m-%d %H:%M:%S")
    return f"{start:%Y-%m-%d %H:%M:%S} to {end_text} UTC"


def _characteristics(resource: Mapping[str, Any]) -> dict[str, Any]:
    return {c["name"]: c["value"] for c in resource.get("resourceCharacteristic", [])}


def _place(geo: Mapping[str, Any] | None) -> str:
    """``63.4305, 10.3951`` from a ``geo:`` place, or an empty string."""
    return "" if not geo else str(geo.get("id", "")).removeprefix("geo:").replace(",", ", ")


def _offer_card(offering: Mapping[str, Any], assets: Mapping[str, Any]) -> dict[str, Any]:
    asset = assets.get(offering["resource"]["id"], {})
    return {
        "id": offering["id"],
        "type": offering["category"][0]["id"],
        "asset_id": offering["resource"]["id"],
        "asset": asset.get("name", offering["resource"]["id"]),
        "city": _characteristics(asset).get("city", ""),
        "place": _place(offering["place"][0] if offering.get("place") else None),
        "window": window_text(offering["validFor"]),
        "price": offering["productOfferingPrice"][0]["price"]["value"],
    }


def _request_card(wanted: Mapping[str, Any]) -> dict[str, Any]:
    required = {c["name"]: c["value"] for c in wanted.get("requiredCharacteristic", [])}
    return {
        "id": wanted["id"],
        "type": wanted["category"],
        "city": required.pop("city", ""),
        "place": _place(wanted.get("place")),
        "radius_km": wanted.get("radiusKm"),
        "required": required,
        "window": window_text(wanted["validFor"]),
        "price": wanted["maxPrice"]["value"],
    }


def _render(request: Request, name: str, context: dict[str, Any], status: int) -> Any:
    return request.app.state.pages.render(request, name, context, status=status)


@router.get("/telco", response_class=HTMLResponse, include_in_schema=False)
def telco_home(request: Request) -> Any:
    """The open offerings and requests of the connected marketplace, as cards."""
    context: dict[str, Any] = {
        "title": "Telco assets",
        "offers": [],
        "requests": [],
        "assets": [],
        "problem": None,
    }
    try:
        assets = {a["id"]: a for a in _read(request, RESOURCE, {"limit": 1000})}
        offerings = _read(request, OFFERING, {"limit": SHOWN})
        requests = _read(request, REQUEST, {"limit": SHOWN})
    except Unavailable as problem:
        context["problem"] = problem.message
        return _render(request, "telco/index.html", context, problem.status)
    context["offers"] = [_offer_card(o, assets) for o in reversed(offerings)]
    context["requests"] = [_request_card(r) for r in reversed(requests)]
    context["assets"] = list(assets.values())
    return _render(request, "telco/index.html", context, 200)


@router.get("/telco/assets/{asset_id}", response_class=HTMLResponse, include_in_schema=False)
def asset_page(request: Request, asset_id: str) -> Any:
    """One asset: what it is, where, its states, its open offerings, and the orders that
    used it with the revenue they brought its provider."""
    context: dict[str, Any] = {"title": "Telco asset", "asset": None, "problem": None}
    if not _ID.fullmatch(asset_id):
        context["problem"] = f"An asset's id matches {_ID.pattern}."
        return _render(request, "telco/asset.html", context, 400)
    try:
        asset = _read(request, f"{RESOURCE}/{asset_id}")
        history = _read(request, f"{RESOURCE}/{asset_id}/history")
        offerings = _read(request, OFFERING, {"resource.id": asset_id, "limit": SHOWN})
    except Unavailable as problem:
        context["problem"] = problem.message
        return _render(request, "telco/asset.html", context, problem.status)
    orders = [{**order, "window": window_text(order["validFor"])} for order in reversed(history)]
    context |= {
        "title": asset["name"],
        "asset": asset,
        "characteristics": _characteristics(asset),
        "place": _place(asset.get("place")),
        "offers": [_offer_card(o, {asset_id: asset}) for o in offerings],
        "orders": orders,
        "revenue": sum(order["revenue"]["value"] for order in history),
    }
    return _render(request, "telco/asset.html", context, 200)


def pages() -> VerticalPages:
    """The telco pages, their templates, the dashboard's telco section and its script
    (served under ``/static/telco/``), and a link in the navigation."""
    return VerticalPages(
        routers=(router,),
        templates=(_HERE / "templates",),
        static=(_HERE / "static" / "telco",),
        nav=(("Telco", "/telco"),),
        dashboard=("telco/_dashboard.html",),
    )
