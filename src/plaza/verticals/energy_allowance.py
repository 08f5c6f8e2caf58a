"""The allowance a person grants the energy user module, on ``/dashboard/energy``.

The person's keys stay in their browser, so the module cannot pay from their wallet when
a device runs short at night. Instead the person grants an allowance
(:mod:`plaza.energy.owner.allowances`): the module makes a separate account whose key is
the module's, the person sets its cap and moves the cap into it from their browser wallet
(``static/energy/allowance.js`` signs that transfer in the page, as the wallet page does),
and the module funds their devices from it only, never above the cap. Revoking stops it
at once and sends what is left back to the address the person named.

Both forms work without JavaScript (the transfer is then made on the Wallet page); each
carries the page's CSRF token, and a bad value is said beside its field with nothing
changed.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from plaza.energy.errors import EnergyError, WrongState
from plaza.verticals.energy_dashboard import checked_form, dashboard_page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.post("/dashboard/energy/allowance")
async def grant(request: Request) -> Response:
    """A new allowance with the cap the person set; what is left goes back to ``address``."""
    checked = await checked_form(request)
    if isinstance(checked, Response):
        return checked
    owners, owner_id, form = checked
    cap, address = form.get("cap", "").strip(), form.get("address", "").strip()
    if not cap.isdigit() or len(cap) > 18 or int(cap) <= 0:
        problem = {"allowance_cap": "a whole number of coins above 0"}
        return dashboard_page(request, 400, problems=problem)
    try:
        owners.grant_allowance(owner_id, int(cap), address)
    except WrongState as error:
        return dashboard_page(request, error.status, notice=error.message)
    except EnergyError as error:
        field = "allowance_address" if "address" in error.message else "allowance_cap"
        return dashboard_page(request, error.status, problems={field: error.message})
    return _done("granted")


@router.post("/dashboard/energy/allowance/{allowance_id}/revoke")
async def revoke(request: Request, allowance_id: str) -> Response:
    """Stop the allowance paying at once; what it holds goes back to the person."""
    checked = await checked_form(request)
    if isinstance(checked, Response):
        return checked
    owners, owner_id, _ = checked
    try:
        owners.revoke_allowance(owner_id, allowance_id[:64])
    except EnergyError as error:
        return dashboard_page(request, error.status, notice=error.message)
    return _done("revoked")


def _done(what: str) -> Response:
    """Back to the page, which says what was done (``NOTICES``): a reload posts nothing."""
    return RedirectResponse(f"/dashboard/energy?done={what}", status_code=303)
