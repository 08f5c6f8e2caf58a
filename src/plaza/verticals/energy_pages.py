"""The energy vertical's web pages: what it trades and how, linking to its listings.

Mounted by the web app through ``Vertical.pages`` (docs/verticals.md); the page
extends the app's ``base.html`` and is rendered by the app's renderer
(``request.app.state.pages``), so it needs nothing of :mod:`plaza.web`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from plaza.energy.kind import ENERGY
from plaza.energy.model import MAX_ENERGY_WH, MAX_PRICE
from plaza.verticals import (
    energy_allowance,
    energy_dashboard,
    energy_images,
    energy_onboarding,
)
from plaza.verticals.model import VerticalPages

__all__ = ["pages"]

_TEMPLATES = Path(__file__).parent / "templates"
router = APIRouter()


@router.get("/energy", response_class=HTMLResponse, include_in_schema=False)
def energy_home(request: Request) -> Any:
    context = {
        "title": "Energy",
        "kind": ENERGY.kind,
        "policy": ENERGY.policy,
        "max_energy_wh": MAX_ENERGY_WH,
        "max_price": MAX_PRICE,
    }
    return request.app.state.pages.render(request, "energy/index.html", context)


def pages() -> VerticalPages:
    """The energy page, its template directory, its link in the navigation, the fields of an
    energy offer or request on the dashboard, and its devices' page and section there."""
    return VerticalPages(
        routers=(
            router,
            energy_dashboard.router,
            energy_allowance.router,
            energy_onboarding.router,
            energy_images.router,
        ),
        templates=(_TEMPLATES,),
        static=(Path(__file__).parent / "static" / "energy",),
        nav=(("Energy", "/energy"),),
        order_forms=((ENERGY.kind, "energy/_order_fields.html"),),
        dashboard=("energy/_dashboard.html",),
    )
