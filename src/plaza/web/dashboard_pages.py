"""The dashboard, behind login: a person's wallet, orders, matches and contracts.

The page is rendered here; what it does with the marketplace it does in the browser,
signed by the key of the person's browser wallet (``static/dashboard/``), through
:mod:`plaza.web.market_relay`: register with the marketplace, offer and request
(each vertical's fields, :attr:`plaza.verticals.VerticalPages.order_forms`), disable,
enable and remove them, see the matching counterparts of one and place an order
from one, and follow the contracts' settlement live on the marketplace's event
stream, paying from the wallet when it is the person's turn. Verticals add sections
of their own (:attr:`plaza.verticals.VerticalPages.dashboard`).

Without JavaScript the page says what needs it and links the read pages; nobody
logged in is sent to the login page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from plaza.web.pages import pages_of
from plaza.web.sessions import end_session_cookie, viewer_of
from plaza.web.wallet_pages import WALLET_POLICY

__all__ = ["DashboardParts", "OrderForm", "router"]

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class OrderForm:
    """One kind's order form on the dashboard: its vertical, kind and fields' template."""

    vertical: str
    kind: str
    template: str


@dataclass(frozen=True, slots=True)
class DashboardParts:
    """What the verticals bring to the dashboard (``app.state.dashboard``)."""

    order_forms: Sequence[OrderForm] = ()
    sections: Sequence[str] = ()


@router.get("/dashboard")
def dashboard(request: Request) -> Response:
    """The dashboard; the login page first for anyone not logged in (or whose session
    ended, which the login page then says)."""
    viewer = viewer_of(request)
    if viewer.account is None:
        to = "/login?expired=1" if viewer.expired else "/login"
        response = RedirectResponse(to, status_code=303)
        if viewer.expired:
            end_session_cookie(request, response)
        return response
    parts: DashboardParts = request.app.state.dashboard
    context = {
        "title": "Dashboard",
        "account": viewer.account,
        "order_forms": parts.order_forms,
        "sections": parts.sections,
        "connected": request.app.state.sources.market_url is not None,
    }
    page = pages_of(request).render(request, "dashboard/dashboard.html", context)
    page.headers["content-security-policy"] = WALLET_POLICY
    page.headers["cache-control"] = "no-store"
    return page
