"""The web app people use Plaza through: server-rendered pages, htmx to enhance them.

:func:`create_web_app` serves the public marketplace (:mod:`plaza.web.market_pages`),
the explorer (:mod:`plaza.web.explorer_pages`), a page of every API's
documentation, and each vertical's own pages (``Vertical.pages``: their routers,
templates beside ours, static files under ``/static/<vertical>/``, links in the
navigation). Front-end packages (htmx, its SSE extension, Leaflet, Chart.js,
libsodium) are served from ``node_modules/`` under ``/static/vendor/``, never
copied into the repository.

Every read page works without JavaScript; htmx only swaps in a filtered table or
a live update. Every answer carries a strict Content-Security-Policy (scripts,
styles and connections from this origin only: no inline script, no CDN) and the
usual hardening headers. Bad input is a 4xx page that says what was wrong
(:class:`~plaza.web.errors.WebError`), never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from plaza.api.docs import front_end_packages
from plaza.clients.node import NodeClient
from plaza.verticals import Units, Vertical, VerticalPages
from plaza.web import (
    account_pages,
    audit_pages,
    channel_pages,
    dashboard_pages,
    explorer_pages,
    market_pages,
    market_relay,
    oidc_pages,
    wallet_api,
    wallet_backup,
    wallet_pages,
)
from plaza.web.dashboard_pages import DashboardParts, OrderForm
from plaza.web.display import UnitBook
from plaza.web.errors import WebError
from plaza.web.explorer import Explorer
from plaza.web.headers import SECURITY_HEADERS, SecurityHeaders
from plaza.web.market_pages import VerticalCard
from plaza.web.pages import Pages
from plaza.web.ports import AuditReader, PublicBook, TwinReader
from plaza.web.sessions import WebAccounts
from plaza.web.tiles import TileServer

__all__ = ["SECURITY_HEADERS", "Pages", "WebSources", "create_web_app"]

_HERE = Path(__file__).parent


@dataclass(frozen=True, slots=True)
class WebSources:
    """What the pages read: the one market's book, the twins, a node, and where each API's
    documentation is (label to base URL, for the Docs page); with ``audits``, the
    auditors' pages; with ``market_url``, the dashboard's orders and contracts."""

    book: PublicBook
    node: NodeClient
    twins: TwinReader | None = None
    apis: Mapping[str, str] = field(default_factory=dict)
    audits: AuditReader | None = None
    market_url: str | None = None  # the marketplace API the dashboard's signed requests reach
    #: what verticals' pages use at run time, by vertical (energy's user module, say)
    vertical_services: Mapping[str, object] = field(default_factory=dict)


def _vertical_pages(verticals: Sequence[Vertical]) -> list[tuple[str, VerticalPages]]:
    return [(v.name, v.pages()) for v in verticals if v.pages is not None]


def _dashboard_parts(pages_of: Sequence[tuple[str, VerticalPages]]) -> DashboardParts:
    forms = [OrderForm(name, kind, t) for name, p in pages_of for kind, t in p.order_forms]
    return DashboardParts(forms, [section for _, p in pages_of for section in p.dashboard])


def _home_cards(
    verticals: Sequence[Vertical], pages: Mapping[str, VerticalPages]
) -> tuple[VerticalCard, ...]:
    """The front page's card per vertical that trades, linked to its first page if it has one."""
    cards = []
    for vertical in verticals:
        nav = pages[vertical.name].nav if vertical.name in pages else ()
        label, href = nav[0] if nav else (vertical.name.capitalize(), None)
        kinds = tuple(spec.kind for spec in vertical.kinds)
        cards.append(VerticalCard(vertical.name, label, vertical.summary, href, kinds))
    return tuple(cards)


def create_web_app(
    sources: WebSources,
    *,
    verticals: Sequence[Vertical] = (),
    packages: Path | None = None,
    accounts: WebAccounts | None = None,
    tiles: TileServer | None = None,
) -> FastAPI:
    """The web app over ``sources``, with ``verticals``' pages and units; with ``accounts``,
    sign-up, login (password and OpenID Connect) and the account pages too; with ``tiles``,
    the maps' tiles from that server (:mod:`plaza.web.tiles`)."""
    app = FastAPI(title="Plaza", docs_url=None, redoc_url=None, openapi_url=None)
    pages_of = _vertical_pages(verticals)
    nav = _navigation(pages_of, logged_in=accounts is not None)
    units: dict[str, Units] = {kind: u for v in verticals for kind, u in v.units.items()}
    templates = [_HERE / "templates", *(path for _, p in pages_of for path in p.templates)]
    app.state.pages = Pages(templates, nav, UnitBook(units), tiles=tiles)
    app.state.sources = sources
    app.state.accounts = accounts
    app.state.explorer = Explorer(sources.node)
    trading = [v for v in verticals if v.kinds]  # the sensor agent's vertical sells no kind
    app.state.verticals = {v.name: tuple(spec.kind for spec in v.kinds) for v in trading}
    app.state.home_cards = _home_cards(trading, dict(pages_of))
    app.state.dashboard = _dashboard_parts(pages_of)
    _mount_static(app, pages_of, packages)
    for _, pages in pages_of:  # before the app's own pages: a vertical's paths are its own
        for router in pages.routers:
            app.include_router(router)
    _include_pages(app)
    _install_error_pages(app)
    app.add_middleware(SecurityHeaders, images_from=None if tiles is None else tiles.origin)
    return app


def _navigation(
    pages_of: Sequence[tuple[str, VerticalPages]], *, logged_in: bool
) -> list[tuple[str, str]]:
    """The shared pages, the dashboard where people log in, each vertical's, then Docs."""
    nav = [("Marketplace", "/market"), ("Explorer", "/explorer"), ("Wallet", "/wallet")]
    if logged_in:
        nav.append(("Dashboard", "/dashboard"))
    nav += [link for _, pages in pages_of for link in pages.nav]
    nav.append(("Docs", "/docs"))
    return nav


def _mount_static(
    app: FastAPI, pages_of: Sequence[tuple[str, VerticalPages]], packages: Path | None
) -> None:
    """The app's own files, the front-end packages from npm, and each vertical's files."""
    app.mount("/static/plaza", StaticFiles(directory=_HERE / "static"), name="static")
    vendor = packages or front_end_packages()
    app.mount("/static/vendor", StaticFiles(directory=vendor, check_dir=False), name="vendor")
    for name, pages in pages_of:
        for directory in pages.static:
            app.mount(f"/static/{name}", StaticFiles(directory=directory), name=f"static-{name}")


def _include_pages(app: FastAPI) -> None:
    """The app's own pages and ``/openapi.json`` (the wallet's API, its one JSON API)."""
    app.include_router(market_pages.router)
    app.include_router(channel_pages.router)
    app.include_router(explorer_pages.router)
    app.include_router(wallet_pages.router)
    app.include_router(wallet_api.router)
    app.include_router(wallet_backup.router)
    _serve_api_document(app)
    app.include_router(audit_pages.router)
    app.include_router(account_pages.router)
    app.include_router(oidc_pages.router)
    app.include_router(dashboard_pages.router)
    app.include_router(market_relay.router)


def _serve_api_document(app: FastAPI) -> None:
    """``/openapi.json`` documents the app's one JSON API, the wallet's (the pages are
    HTML, for people), so clients and the fuzz tests know every answer it may give."""
    document = get_openapi(
        title="Plaza web app: the wallet's API",
        version="1",
        description="Public reads and the relay of messages signed in the browser.",
        routes=wallet_api.router.routes,
    )

    @app.get("/openapi.json", include_in_schema=False)
    def openapi() -> JSONResponse:
        return JSONResponse(document)


def _install_error_pages(app: FastAPI) -> None:
    def page(request: Request, status: int, title: str, message: str) -> Response:
        """The error page; to htmx swapping the results table, the table's place says it."""
        pages: Pages = request.app.state.pages
        context = {"title": title, "message": message, "status": status}
        partial = request.headers.get("hx-target") == "results"
        name = "market/_problem.html" if partial else "error.html"
        return pages.render(request, name, context, status=status)

    @app.exception_handler(WebError)
    async def web_error(request: Request, error: WebError) -> Response:
        titles = {400: "Bad request", 403: "Refused", 404: "Not found", 503: "Unavailable"}
        return page(request, error.status, titles.get(error.status, "Error"), error.message)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        message = "There is no such page." if error.status_code == 404 else str(error.detail)
        return page(request, error.status_code, f"Error {error.status_code}", message)

    @app.exception_handler(Exception)
    async def bug(request: Request, error: Exception) -> Response:
        """A fault of ours, not of the request: said plainly (and logged by the server)."""
        return page(request, 500, "Something went wrong", "This page failed on our side.")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return page(request, 400, "Bad request", f"{where}: {first.get('msg', 'invalid')}")
