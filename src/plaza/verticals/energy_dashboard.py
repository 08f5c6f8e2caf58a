"""Energy's part of the logged-in dashboard: the person's devices at the energy user module.

``/dashboard/energy`` shows what the seed's user module showed its owner, read on the
server (no JavaScript needed): the owner's wallet, the one account the module spends
from to fund the devices (its key is the module's; the person moves coins into it from
their browser wallet and takes the rest back with "Withdraw"), and each device with its
settings, its daily funding cap, its aggregates (energy, transactions, average price,
value) and Pause or Continue. Every change is a form with the page's CSRF token.

The web app reaches the user module through ``sources.vertical_services["energy"]``, an
:class:`EnergyOwners` the composition root gives it (``plaza demo``'s, over the demo's
owners); a person sees the owner their account is, or a page that says there is none.
"""

from __future__ import annotations

import hmac
from typing import Any, Protocol
from urllib.parse import parse_qsl, quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from plaza.energy.errors import EnergyError
from plaza.energy.model import TransactionStatus

__all__ = ["EnergyOwners", "router"]

router = APIRouter(include_in_schema=False)
_MAX_FORM = 4096
_MAX_FIELDS = 8
STATUSES = tuple(str(status) for status in TransactionStatus)


class EnergyOwners(Protocol):
    """The energy user module, as the dashboard uses it (``OwnerService``'s methods), and
    which owner a logged-in person is."""

    def owner_id_of(self, email: str) -> str | None:
        """The owner the account with ``email`` is; None: none."""
        ...

    def owner_wallet(self, owner_id: str) -> dict[str, Any]: ...

    def devices(self, owner_id: str) -> list[dict[str, Any]]: ...

    def device_overview(self, owner_id: str, device_id: str) -> dict[str, Any]: ...

    def pause_device(self, owner_id: str, device_id: str) -> object: ...

    def continue_device(self, owner_id: str, device_id: str) -> object: ...

    def withdraw(self, owner_id: str, address: object, amount: object) -> object: ...

    def delete_device(self, owner_id: str, device_id: str) -> None:
        """Tell the device to stop, then forget it (the module's ``delete_device``)."""
        ...

    def update_device(self, owner_id: str, device_id: str, changes: dict[str, Any]) -> object:
        """New settings, pushed to the device first (the module's ``update_device``)."""
        ...

    def device_transactions(
        self, owner_id: str, device_id: str, *, status: str | None, search: str | None, page: int
    ) -> dict[str, Any]:
        """``TransactionPage.to_json()``: ten of the device's transactions, newest first."""
        ...

    def transaction_twin(
        self, owner_id: str, device_id: str, transaction_id: str
    ) -> dict[str, Any]: ...


def _who(request: Request) -> tuple[EnergyOwners | None, str | None, Any]:
    """The user module, the person's owner id, and the viewer."""
    viewer = request.app.state.pages.viewer(request)
    services = getattr(request.app.state.sources, "vertical_services", {})
    owners: EnergyOwners | None = services.get("energy")
    if owners is None or viewer.account is None:
        return owners, None, viewer
    return owners, owners.owner_id_of(viewer.account.email), viewer


def _page(request: Request, status: int = 200, **context: Any) -> Response:
    owners, owner_id, viewer = _who(request)
    if viewer.account is None:
        return RedirectResponse("/login?next=/dashboard/energy", status_code=303)
    full: dict[str, Any] = {
        "title": "Your energy devices",
        "owner": None,
        "problems": {},
        "notice": "",
    }
    if owners is not None and owner_id is not None:
        wallet = owners.owner_wallet(owner_id)
        devices = [owners.device_overview(owner_id, d["assetId"]) for d in owners.devices(owner_id)]
        full.update(owner=wallet, devices=devices)
    full.update(context)
    page: Response = request.app.state.pages.render(
        request, "energy/dashboard.html", full, status=status
    )
    page.headers["cache-control"] = "no-store"
    return page


@router.get("/dashboard/energy")
def energy_dashboard(request: Request) -> Response:
    return _page(request)


async def _form(request: Request) -> dict[str, str] | None:
    """The posted form's fields (the first of each name); None: not a short UTF-8 form."""
    body = await request.body()
    if len(body) > _MAX_FORM:
        return None
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=_MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


async def _checked(request: Request) -> tuple[EnergyOwners, str, dict[str, str]] | Response:
    """The user module, the owner and the form, once the form carries the page's token."""
    owners, owner_id, viewer = _who(request)
    if viewer.account is None:
        return RedirectResponse("/login?next=/dashboard/energy", status_code=303)
    form = await _form(request)
    if form is None:
        return _page(request, 400, notice="Send the form as the page does: a short form.")
    sent = form.get("csrf", "").encode()
    if not viewer.csrf or not hmac.compare_digest(sent, viewer.csrf.encode()):
        message = "This form did not carry this page's security token: nothing was changed."
        return _page(request, 403, notice=message)
    if owners is None or owner_id is None:
        return _page(request, 404, notice="Your account owns no energy devices here.")
    return owners, owner_id, form


@router.post("/dashboard/energy/devices/{device_id}/pause")
async def pause(request: Request, device_id: str) -> Response:
    """The seed's "Pause operation": the device stops trading, its records stay."""
    return await _operate(request, device_id, pause=True)


@router.post("/dashboard/energy/devices/{device_id}/continue")
async def resume(request: Request, device_id: str) -> Response:
    """The seed's "Continue operation"."""
    return await _operate(request, device_id, pause=False)


@router.post("/dashboard/energy/devices/{device_id}/delete")
async def delete(request: Request, device_id: str) -> Response:
    """Delete the device once the person ticked that they mean it: it is told to stop, and
    its settings and events are forgotten (its twins stay on the ledger)."""
    checked = await _checked(request)
    if isinstance(checked, Response):
        return checked
    owners, owner_id, form = checked
    if form.get("sure") != "yes":
        problem = {"sure": "tick this to delete the device"}
        return _device(request, owners, owner_id, device_id, problems=problem)
    try:
        owners.delete_device(owner_id, device_id[:100])
    except EnergyError as error:
        return _page(request, error.status, notice=error.message)
    return _page(request, notice=f"Device {device_id} deleted.")


async def _operate(request: Request, device_id: str, *, pause: bool) -> Response:
    checked = await _checked(request)
    if isinstance(checked, Response):
        return checked
    owners, owner_id, _ = checked
    change = owners.pause_device if pause else owners.continue_device
    try:
        change(owner_id, device_id[:100])
    except EnergyError as error:
        return _page(request, error.status, notice=error.message)
    done = "paused" if pause else "running again"
    return _page(request, notice=f"Device {device_id} {done}.")


@router.post("/dashboard/energy/withdraw")
async def withdraw(request: Request) -> Response:
    """Take coins back from the owner's wallet (what the module may spend) to an address."""
    checked = await _checked(request)
    if isinstance(checked, Response):
        return checked
    owners, owner_id, form = checked
    address, amount = form.get("address", "").strip(), form.get("amount", "").strip()
    if not amount.isdigit() or int(amount) <= 0:
        return _page(request, 400, problems={"amount": "a whole number of coins above 0"})
    try:
        sent = owners.withdraw(owner_id, address, int(amount))
    except EnergyError as error:
        field = "address" if "address" in error.message else "amount"
        return _page(request, error.status, problems={field: error.message})
    message_id = getattr(sent, "message_id", "")
    return _page(request, notice=f"Sent {amount} coins to {address} (message {message_id}).")


@router.get("/dashboard/energy/devices/{device_id}")
def device_page(
    request: Request,
    device_id: str,
    *,
    status: str = "",
    search: str = "",
    page: str = "1",
    saved: str = "",
) -> Response:
    """One device: its figures and its transactions (the seed's transactions tab), filtered
    by latest status, searched by a piece of the id, ten a page, each with its events."""
    owners, owner_id, viewer = _who(request)
    if viewer.account is None:
        return RedirectResponse("/login?next=/dashboard/energy", status_code=303)
    if owners is None or owner_id is None:
        return _page(request, 404, notice="Your account owns no energy devices here.")
    number = int(page) if page.isdigit() and 0 < len(page) < 7 else 0
    context: dict[str, Any] = {"status": status, "search": search[:64], "problem": ""}
    try:
        device = owners.device_overview(owner_id, device_id[:100])
        found = owners.device_transactions(
            owner_id, device_id, status=status or None, search=search[:64] or None, page=number
        )
    except EnergyError as error:
        if "device" in error.message.lower() and "status" not in error.message:
            return _page(request, 404, notice=error.message)
        device = owners.device_overview(owner_id, device_id[:100])
        found = {"total": 0, "page": 1, "perPage": 10, "transactions": []}
        context["problem"] = error.message
    pages = max(1, -(-found["total"] // found["perPage"]))
    context.update(
        title=f"Device {device['name']}", device=device, found=found, pages=pages, statuses=STATUSES
    )
    notice = "Settings saved on the device." if saved else ""
    context.update(problems={}, notice=notice, settings=SETTINGS)
    answer: Response = request.app.state.pages.render(
        request, "energy/device.html", context, status=400 if context["problem"] else 200
    )
    answer.headers["cache-control"] = "no-store"
    return answer


@router.get("/dashboard/energy/devices/{device_id}/transactions/{transaction_id}/verify")
def verify_transaction(request: Request, device_id: str, transaction_id: str) -> Response:
    """The transaction's twin read back from the ledger now, and each reported state on it."""
    owners, owner_id, viewer = _who(request)
    if viewer.account is None:
        return RedirectResponse("/login?next=/dashboard/energy", status_code=303)
    if owners is None or owner_id is None:
        return _page(request, 404, notice="Your account owns no energy devices here.")
    try:
        report = owners.transaction_twin(owner_id, device_id[:100], transaction_id[:100])
    except EnergyError as error:
        return _page(request, 404, notice=error.message)
    context = {"title": "Verified against the ledger", "report": report, "device_id": device_id}
    answer: Response = request.app.state.pages.render(request, "energy/verify.html", context)
    answer.headers["cache-control"] = "no-store"
    return answer


#: The settings a person changes on the device's page: (form name, label, unit).
SETTINGS = (
    ("energyPrice", "Price", "coins per kWh"),
    ("minOfferAmount", "Least energy per offer", "Wh"),
    ("fundingCap", "Daily funding cap", "coins"),
)


@router.post("/dashboard/energy/devices/{device_id}/settings")
async def change_settings(request: Request, device_id: str) -> Response:
    """New settings for the device (it is told first, and kept only if it accepted them)."""
    checked = await _checked(request)
    if isinstance(checked, Response):
        return checked
    owners, owner_id, form = checked
    changes: dict[str, Any] = {}
    for name, _, _ in SETTINGS:
        text = form.get(name, "").strip()
        if not text.isdigit() or len(text) > 15:
            problem = {name: "a whole number, 0 or more"}
            return _device(request, owners, owner_id, device_id, problems=problem)
        changes[name] = int(text)
    try:
        owners.update_device(owner_id, device_id[:100], changes)
    except EnergyError as error:
        field = next((n for n, _, _ in SETTINGS if n in error.message), "energyPrice")
        return _device(request, owners, owner_id, device_id, problems={field: error.message})
    to = f"/dashboard/energy/devices/{quote(device_id[:100], safe='')}?saved=1"
    return RedirectResponse(to, status_code=303)  # a reload does not post the form again


def _device(
    request: Request,
    owners: EnergyOwners,
    owner_id: str,
    device_id: str,
    *,
    problems: dict[str, str] | None = None,
    notice: str = "",
) -> Response:
    """The device's page after a refused settings form: its problems beside their fields."""
    try:
        device = owners.device_overview(owner_id, device_id[:100])
        found = owners.device_transactions(owner_id, device_id, status=None, search=None, page=1)
    except EnergyError as error:
        return _page(request, 404, notice=error.message)
    context = {
        "title": f"Device {device['name']}",
        "device": device,
        "found": found,
        "pages": max(1, -(-found["total"] // found["perPage"])),
        "statuses": STATUSES,
        "status": "",
        "search": "",
        "problem": "",
        "problems": problems or {},
        "notice": notice,
        "settings": SETTINGS,
    }
    answer: Response = request.app.state.pages.render(
        request, "energy/device.html", context, status=400 if problems else 200
    )
    answer.headers["cache-control"] = "no-store"
    return answer
