"""The pay-per-call services' web pages (issue 13, item 6): the catalogue and each service.

Mounted by the web app through ``Vertical.pages`` (docs/verticals.md). Everything is
read from the ledger through the web app's node, as a customer's ``find_service``
reads it (:mod:`plaza.services.catalog`): ``/services`` lists every announced service
with its price and limits; ``/services/{name}`` shows one with its schemas (from the
provider's public channel), how to call it, and its provider's figures: calls paid,
refunded or expired, still open, and revenue, as its holds show them, and a form that
calls it from the browser with the browser's own wallet (``static/service/call.js``,
with what it asks of the server in :mod:`plaza.verticals.services_api`); no key of
the customer's reaches this server. A provider's own dashboard, behind login, is
:mod:`plaza.verticals.services_owner` (``/services/my/services``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.channels import LedgerAccessError
from plaza.clock import SystemClock
from plaza.services.catalog import Listed, full_description, listed_services, usage
from plaza.services.description import NAME
from plaza.verticals.model import VerticalPages
from plaza.verticals.services_api import router as api_router
from plaza.verticals.services_owner import router as owner_router
from plaza.verticals.streams_pages import BUYING_POLICY

__all__ = ["pages"]

_HERE = Path(__file__).parent
_CLOCK = SystemClock()
#: The provider's latest calls a page reads (two node requests each).
_USAGE_CALLS = 100
router = APIRouter()


def _ledger(request: Request) -> RemoteLedger:
    return RemoteLedger(request.app.state.sources.node, clock=_CLOCK)


def _render(request: Request, name: str, context: dict[str, Any], status: int) -> Any:
    return request.app.state.pages.render(request, name, context, status=status)


@router.get("/services", response_class=HTMLResponse, include_in_schema=False)
def services_home(request: Request) -> Any:
    """Every service announced on the ledger, by name, with its price and limits."""
    context: dict[str, Any] = {"title": "Pay-per-call services", "services": [], "problem": None}
    status = 200
    try:
        context["services"] = listed_services(_ledger(request))
    except LedgerAccessError as error:
        context["problem"], status = f"the node is not answering: {error}", 503
    return _render(request, "services/index.html", context, status)


@router.get("/services/my/calls", response_class=HTMLResponse, include_in_schema=False)
def my_calls(request: Request) -> Any:
    """The calls made from this browser: the page reads them from the browser's own book
    (``static/service/history.js``), where their keys are; this server sends the page alone."""
    page = _render(request, "services/calls.html", {"title": "Your calls"}, 200)
    page.headers["content-security-policy"] = BUYING_POLICY  # the page opens results
    return page


@router.get("/services/{name}", response_class=HTMLResponse, include_in_schema=False)
def service_page(request: Request, name: str) -> Any:
    """One service: what it does, its price, limits and schemas, how to call it, and
    its provider's calls and revenue as the ledger shows them."""
    context: dict[str, Any] = {"title": "Service", "listed": None, "service": None, "problem": None}
    if not NAME.fullmatch(name):
        context["problem"] = f"a service's name matches {NAME.pattern}"
        return _render(request, "services/service.html", context, 400)
    ledger = _ledger(request)
    try:
        found = [s for s in listed_services(ledger) if s.description.name == name]
        if found:
            context |= _service_context(ledger, found[0])
    except LedgerAccessError as error:
        context["problem"] = f"the node is not answering: {error}"
        return _render(request, "services/service.html", context, 503)
    if not found:
        context["problem"] = f"no service called {name!r} is announced"
        return _render(request, "services/service.html", context, 404)
    page = _render(request, "services/service.html", context, 200)
    page.headers["content-security-policy"] = BUYING_POLICY  # the call form runs libsodium
    return page


def _service_context(ledger: RemoteLedger, listed: Listed) -> dict[str, Any]:
    full = full_description(ledger, listed)
    return {
        "title": full.title,
        "listed": listed,
        "service": full,
        "usage": usage(ledger, full.pay_to, limit=_USAGE_CALLS),
        "usage_calls": _USAGE_CALLS,
        "input_schema": json.dumps(full.input_schema, indent=2, sort_keys=True),
        "output_schema": json.dumps(full.output_schema, indent=2, sort_keys=True),
    }


def pages() -> VerticalPages:
    """The services pages, what their call form asks of the server, their templates and
    script, a link in the navigation, and the dashboard's section linking the provider's
    and the customer's own pages."""
    return VerticalPages(
        routers=(api_router, owner_router, router),
        templates=(_HERE / "templates",),
        static=(_HERE / "static" / "service",),
        nav=(("Services", "/services"),),
        dashboard=("services/_dashboard.html",),
    )
