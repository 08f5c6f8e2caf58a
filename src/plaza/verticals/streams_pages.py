"""The sensor data streams' web pages: the sensors on a map and in a table, and each
sensor's page (issue 12).

Mounted by the web app through ``Vertical.pages`` (docs/verticals.md). The sensors are
read from the ledger through the web app's node (``request.app.state.sources.node``):
every announcement under the streams tag, verified, the latest of each sensor, so the
pages show exactly what a buyer's ``plaza stream sensors`` finds. Filters: data type,
price per hour, and a place with a radius. Buying happens in a logged-in person's browser,
through the marketplace, or in a buyer's agent (``plaza stream buy``), whose keys never
reach this server; a sensor owner's dashboard is :mod:`plaza.verticals.streams_owner`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.channels import LedgerAccessError
from plaza.clients.node import ClientError
from plaza.clock import SystemClock
from plaza.ledger.model import DataPayload
from plaza.streams import Sensor
from plaza.streams.buyer import discover
from plaza.streams.catalog import (
    InvalidFilter,
    Sales,
    SensorFilter,
    hourly_price,
    parse_filter,
    summary,
)
from plaza.streams.errors import InvalidMemo
from plaza.streams.preview import decode_preview, preview_tag
from plaza.verticals.model import VerticalPages
from plaza.verticals.streams_owner import router as owner_router

__all__ = ["pages"]

_HERE = Path(__file__).parent
#: Messages a tag lists: a channel position holds one, an inbox one per purchase.
#: The web app's Content-Security-Policy (``plaza.web.headers``, which a vertical may not
#: import; a test holds the two together) with ``'wasm-unsafe-eval'``, as the wallet page
#: has it: the sensor page's purchase and the listing's subscriptions run libsodium, which
#: compiles WebAssembly.
BUYING_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_CLOCK = SystemClock()
router = APIRouter()


def _sensors(request: Request) -> list[Sensor]:
    return discover(RemoteLedger(request.app.state.sources.node, clock=_CLOCK))


def _listing(request: Request) -> tuple[list[Sensor], SensorFilter | None, str | None, int]:
    """The sensors the query asks for, the filter, what went wrong (if anything), a status."""
    try:
        wanted = parse_filter(request.query_params)
    except InvalidFilter as error:
        return [], None, str(error), 400
    try:
        return wanted.apply(_sensors(request)), wanted, None, 200
    except LedgerAccessError as error:
        return [], wanted, f"the node is not answering: {error}", 503


@router.get("/streams", response_class=HTMLResponse, include_in_schema=False)
def streams_home(request: Request) -> Any:
    """Every sensor found by tag on the ledger, on a map (with JavaScript) and in a table."""
    sensors, wanted, problem, status = _listing(request)
    context: dict[str, Any] = {
        "title": "Sensor data streams",
        "sensors": sensors,
        "wanted": wanted or SensorFilter(),
        "problem": problem,
        "query": request.url.query,
        "hourly_price": hourly_price,
    }
    page = request.app.state.pages.render(request, "stream/index.html", context, status=status)
    page.headers["content-security-policy"] = BUYING_POLICY  # the subscriptions open grants
    return page


@router.get("/streams/sensors.json", include_in_schema=False)
def streams_data(request: Request) -> JSONResponse:
    """The map's markers: each listed sensor's summary."""
    sensors, _, problem, status = _listing(request)
    if problem is not None:
        return JSONResponse({"detail": problem}, status_code=status)
    return JSONResponse({"sensors": [summary(sensor) for sensor in sensors]})


@router.get("/streams/{sensor_id}", response_class=HTMLResponse, include_in_schema=False)
def sensor_page(request: Request, sensor_id: str) -> Any:
    """One sensor: what it measures, where, at what price, and how to buy its stream."""
    context: dict[str, Any] = {"title": "Sensor", "sensor": None, "problem": None}
    status = 200
    try:
        found = [s for s in _sensors(request) if s.id == sensor_id.lower()]
    except LedgerAccessError as error:
        found, status = [], 503
        context["problem"] = f"the node is not answering: {error}"
    if found:
        context |= {"sensor": found[0], "title": found[0].announcement.name}
        terms = found[0].announcement.terms
        context |= {"hourly_price": hourly_price(terms), "minimum_text": _seconds(terms.minimum_ms)}
        context |= {"sales": _sales(request, found[0]), "preview": _preview(request, found[0])}
        context["buying"] = _buying(request)
    elif status == 200:
        status, context["problem"] = 404, f"no sensor {sensor_id[:80]!r} is announced"
    page = request.app.state.pages.render(request, "stream/sensor.html", context, status=status)
    if found:
        page.headers["content-security-policy"] = BUYING_POLICY
    return page


def _sales(request: Request, sensor: Sensor) -> Sales | None:
    """The sensor's sales as its payment address's last 1,000 movements show them."""
    gateway = RemoteLedger(request.app.state.sources.node, clock=_CLOCK)
    try:
        return Sales.of(gateway.history(sensor.announcement.pay_to, limit=1000))
    except LedgerAccessError:
        return None


def _preview(request: Request, sensor: Sensor) -> list[datetime]:
    """The times of the sensor's last readings from its newest valid preview (none: [])."""
    node = request.app.state.sources.node
    try:
        for message_id in node.find_by_tag(preview_tag(sensor.channel_id), limit=5).ids:
            message = node.get_message(message_id)
            if message.issuer == sensor.channel.raw and isinstance(message.payload, DataPayload):
                times = decode_preview(message.payload.data)
                return [datetime.fromtimestamp(ms / 1000, UTC) for ms in reversed(times)]
    except (ClientError, InvalidMemo):
        pass  # no preview is shown rather than a wrong one
    return []


def _buying(request: Request) -> str:
    """How the page sells: ``buy`` (a logged-in person, on a site that relays to a
    marketplace: the dashboard's relay, which needs a login and the page's CSRF token),
    ``login`` (a marketplace, nobody logged in) or ``agent`` (no marketplace here, or no
    accounts to log in with). Never a direct payment: every purchase is an order and a
    contract in the marketplace."""
    viewer = request.app.state.pages.viewer(request)
    if getattr(request.app.state.sources, "market_url", None) is None or not viewer.csrf:
        return "agent"
    return "login" if viewer.account is None else "buy"


def _seconds(ms: int) -> str:
    """A duration the buy form reads back: whole minutes as ``10m``, else seconds."""
    seconds = -(-ms // 1000)
    return f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"


def pages() -> VerticalPages:
    """The streams pages, their templates, their map script, and a link in the navigation."""
    return VerticalPages(
        routers=(owner_router, router),  # /streams/mine before /streams/{sensor_id}
        templates=(_HERE / "templates",),
        static=(_HERE / "static" / "stream",),
        nav=(("Streams", "/streams"),),
        dashboard=("stream/_dashboard.html",),  # links to the owner's and buyer's lists
    )
