"""Onboarding a device from ``/dashboard/energy``: the seed's "Add a new device" form.

The seed's fields (type, name, device UUID, energy price, running, transaction dashboard,
URL, location, description, least energy per offer or request, device image), plus the
owner's daily funding cap, posted with the page's CSRF token (multipart, for the
picture). The user module configures the device (``/init``) and stores it only once the
device answered with its own keys, so a device that is down, refuses or does not know the
UUID leaves nothing behind. A bad value is said beside its field, the other values kept
in the form (the UUID and the picture are chosen again).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from plaza.energy.errors import EnergyError
from plaza.verticals.energy_dashboard import checked_form, dashboard_page

__all__ = ["FIELDS", "router"]

router = APIRouter(include_in_schema=False)

#: The form's text and number fields, "int" for whole numbers (their labels are the
#: template's, ``energy/_onboard.html``), and its check boxes.
FIELDS = (
    ("name", "text"),
    ("uuid", "text"),
    ("url", "text"),
    ("energyPrice", "int"),
    ("minOfferAmount", "int"),
    ("location", "text"),
    ("description", "text"),
    ("fundingCap", "int"),
)
_CHECKS = ("running", "dashboard")
_TYPES = ("provider", "consumer")


def _typed(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The seed's form as the user module reads it, or the problems beside their fields."""
    typed: dict[str, Any] = {}
    problems: dict[str, str] = {}
    kind = form.get("type", "")
    if kind not in _TYPES:
        problems["type"] = "choose Producer or Consumer"
    typed["type"] = kind
    for name, what in FIELDS:
        text = form.get(name, "").strip()
        if what == "text":
            typed[name] = text
        elif text.isdigit() and len(text) <= 18:
            typed[name] = int(text)
        elif text or name != "fundingCap":  # the cap may stay empty: the module's default
            problems[name] = "a whole number, 0 or more"
    for name in _CHECKS:
        typed[name] = form.get(name) == "yes"
    return typed, problems


def _beside(message: str) -> str | None:
    """The field a refusal of the user module names first, if one of the form's."""
    first = message.split(" ", 1)[0]
    known = [name for name, _ in FIELDS] + ["type", "image"]
    if first in known:
        return first
    return "uuid" if "uuid" in message.lower() else None


@router.post("/dashboard/energy/devices")
async def onboard(request: Request) -> Response:
    """Add a new device (the seed's form); back to the page, which lists it."""
    checked = await checked_form(request)
    if isinstance(checked, Response):
        return checked
    owners, owner_id, form = checked
    typed, problems = _typed(form)
    kept = {name: value for name, value in form.items() if name not in ("csrf", "uuid")}
    if problems:
        return dashboard_page(request, 400, problems=problems, onboarding=kept)
    try:
        owners.add_device(owner_id, typed, form.files.get("image"))
    except EnergyError as error:
        field = _beside(error.message)
        if field is None:
            notice = f"The device was not onboarded: {error.message}"
            return dashboard_page(request, error.status, notice=notice, onboarding=kept)
        fields = {field: error.message}
        return dashboard_page(request, error.status, problems=fields, onboarding=kept)
    return RedirectResponse("/dashboard/energy?done=onboarded", status_code=303)
