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
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from plaza.energy.errors import EnergyError
from plaza.energy.model import TransactionStatus
from plaza.energy.owner.images import MAX_IMAGE_BYTES
from plaza.verticals.posted_forms import PostedForm, read_form

__all__ = [
    "PAGE_POLICY",
    "EnergyOwners",
    "checked_form",
    "dashboard_page",
    "device_with_problems",
    "router",
    "viewer_owner",
]

router = APIRouter(include_in_schema=False)
_MAX_FORM = 4096
_MAX_FIELDS = 16  # the onboarding form's fields and the token
STATUSES = tuple(str(status) for status in TransactionStatus)
#: The site's policy with WebAssembly allowed: the page signs the allowance's funding in the
#: browser with libsodium (as the wallet page does); still no eval, inline script or origin
#: but this one.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


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

    def add_device(self, owner_id: str, form: dict[str, Any], image: bytes | None) -> object:
        """Onboard a device with the seed's form (``/init`` first; stored once it answered),
        its picture with it; a picture that is not one is refused before anything is done."""
        ...

    def device_image(self, owner_id: str, device_id: str) -> tuple[str, bytes] | None:
        """The device's picture (its media type and bytes), if it has one."""
        ...

    def set_device_image(self, owner_id: str, device_id: str, image: bytes | None) -> None:
        """A new picture for the device (checked as onboarding checks it); None: none."""
        ...

    def allowances(self, owner_id: str) -> list[dict[str, Any]]:
        """The owner's allowances, newest first (``AllowanceDesk.allowances``)."""
        ...

    def grant_allowance(self, owner_id: str, cap: object, address: object) -> object:
        """A new allowance of ``cap`` whose rest goes back to ``address``."""
        ...

    def revoke_allowance(self, owner_id: str, allowance_id: str) -> object:
        """Stop it paying; what it holds goes back (a transfer, or None)."""
        ...


def viewer_owner(request: Request) -> tuple[EnergyOwners | None, str | None, Any]:
    """The user module, the person's owner id, and the viewer."""
    viewer = request.app.state.pages.viewer(request)
    services = getattr(request.app.state.sources, "vertical_services", {})
    owners: EnergyOwners | None = services.get("energy")
    if owners is None or viewer.account is None:
        return owners, None, viewer
    return owners, owners.owner_id_of(viewer.account.email), viewer


def dashboard_page(request: Request, status: int = 200, **context: Any) -> Response:
    owners, owner_id, viewer = viewer_owner(request)
    if viewer.account is None:
        return RedirectResponse("/login?next=/dashboard/energy", status_code=303)
    full: dict[str, Any] = {
        "title": "Your energy devices",
        "owner": None,
        "problems": {},
        "notice": "",
        "onboarding": {},
        "allowances": [],
    }
    if owners is not None and owner_id is not None:
        wallet = owners.owner_wallet(owner_id)
        devices = [owners.device_overview(owner_id, d["assetId"]) for d in owners.devices(owner_id)]
        full.update(owner=wallet, devices=devices, allowances=owners.allowances(owner_id))
    full.update(context)
    page: Response = request.app.state.pages.render(
        request, "energy/dashboard.html", full, status=status
    )
    page.headers["cache-control"] = "no-store"
    page.headers["content-security-policy"] = PAGE_POLICY
    return page


#: What the page says after a form that redirects here (``?done=``).
NOTICES = {
    "onboarded": "Device onboarded: it answered with its own keys and is listed below.",
    "granted": "Allowance granted: move its cap into it from your wallet; the module spends"
    " from it only, never more than that.",
    "revoked": "Allowance revoked: it pays nothing more; what it held is sent back to your"
    " wallet (its payments below).",
}


@router.get("/dashboard/energy")
def energy_dashboard(request: Request, done: str = "") -> Response:
    return dashboard_page(request, notice=NOTICES.get(done, ""))


async def checked_form(request: Request) -> tuple[EnergyOwners, str, PostedForm] | Response:
    """The user module, the owner and the form, once the form carries the page's token."""
    owners, owner_id, viewer = viewer_owner(request)
    if viewer.account is None:
        return RedirectResponse("/login?next=/dashboard/energy", status_code=303)
    form = await read_form(
        request, max_bytes=_MAX_FORM, max_fields=_MAX_FIELDS, max_file_bytes=MAX_IMAGE_BYTES
    )
    if form is None:
        return dashboard_page(request, 400, notice="Send the form as the page does: a short form.")
    sent = form.get("csrf", "").encode()
    if not viewer.csrf or not hmac.compare_digest(sent, viewer.csrf.encode()):
        message = "This form did not carry this page's security token: nothing was changed."
        return dashboard_page(request, 403, notice=message)
    if owners is None or owner_id is None:
        return dashboard_page(request, 404, notice="Your account owns no energy devices here.")
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
    checked = await checked_form(request)
    if isinstance(checked, Response):
        return checked
    owners, owner_id, form = checked
    if form.get("sure") != "yes":
        problem = {"sure": "tick this to delete the device"}
        return device_with_problems(request, owners, owner_id, device_id, problems=problem)
    try:
        owners.delete_device(owner_id, device_id[:100])
    except EnergyError as error:
        return dashboard_page(request, error.status, notice=error.message)
    return dashboard_page(request, notice=f"Device {device_id} deleted.")


async def _operate(request: Request, device_id: str, *, pause: bool) -> Response:
    checked = await checked_form(request)
    if isinstance(checked, Response):
        return checked
    owners, owner_id, _ = checked
    change = owners.pause_device if pause else owners.continue_device
    try:
        change(owner_id, device_id[:100])
    except EnergyError as error:
        return dashboard_page(request, error.status, notice=error.message)
    done = "paused" if pause else "running again"
    return dashboard_page(request, notice=f"Device {device_id} {done}.")


@router.post("/dashboard/energy/withdraw")
async def withdraw(request: Request) -> Response:
    """Take coins back from the owner's wallet (what the module may spend) to an address."""
    checked = await checked_form(request)
    if isinstance(checked, Response):
        return checked
    owners, owner_id, form = checked
    address, amount = form.get("address", "").strip(), form.get("amount", "").strip()
    if not amount.isdigit() or int(amount) <= 0:
        return dashboard_page(request, 400, problems={"amount": "a whole number of coins above 0"})
    try:
        sent = owners.withdraw(owner_id, address, int(amount))
    except EnergyError as error:
        field = "address" if "address" in error.message else "amount"
        return dashboard_page(request, error.status, problems={field: error.message})
    message_id = getattr(sent, "message_id", "")
    return dashboard_page(
        request, notice=f"Sent {amount} coins to {address} (message {message_id})."
    )


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
    owners, owner_id, viewer = viewer_owner(request)
    if viewer.account is None:
        return RedirectResponse("/login?next=/dashboard/energy", status_code=303)
    if owners is None or owner_id is None:
        return dashboard_page(request, 404, notice="Your account owns no energy devices here.")
    number = int(page) if page.isdigit() and 0 < len(page) < 7 else 0
    context: dict[str, Any] = {"status": status, "search": search[:64], "problem": ""}
    try:
        device = owners.device_overview(owner_id, device_id[:100])
        found = owners.device_transactions(
            owner_id, device_id, status=status or None, search=search[:64] or None, page=number
        )
    except EnergyError as error:
        if "device" in error.message.lower() and "status" not in error.message:
            return dashboard_page(request, 404, notice=error.message)
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
def verify_transaction(
    request: Request, device_id: str, transaction_id: str, event: str = ""
) -> Response:
    """The transaction's twin read back from the ledger now, and each reported state on it;
    with ``event`` (its number, oldest first) that event's verdict first."""
    owners, owner_id, viewer = viewer_owner(request)
    if viewer.account is None:
        return RedirectResponse("/login?next=/dashboard/energy", status_code=303)
    if owners is None or owner_id is None:
        return dashboard_page(request, 404, notice="Your account owns no energy devices here.")
    try:
        report = owners.transaction_twin(owner_id, device_id[:100], transaction_id[:100])
    except EnergyError as error:
        return dashboard_page(request, 404, notice=error.message)
    asked = [e for e in report["events"] if event and str(e["number"]) == event[:6]]
    if event and not asked:
        return dashboard_page(request, 404, notice=f"No event {event[:6]} in this transaction.")
    context = {
        "title": "Verified against the ledger",
        "report": report,
        "device_id": device_id,
        "asked": asked[0] if asked else None,
    }
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
    checked = await checked_form(request)
    if isinstance(checked, Response):
        return checked
    owners, owner_id, form = checked
    changes: dict[str, Any] = {}
    for name, _, _ in SETTINGS:
        text = form.get(name, "").strip()
        if not text.isdigit() or len(text) > 15:
            problem = {name: "a whole number, 0 or more"}
            return device_with_problems(request, owners, owner_id, device_id, problems=problem)
        changes[name] = int(text)
    try:
        owners.update_device(owner_id, device_id[:100], changes)
    except EnergyError as error:
        field = next((n for n, _, _ in SETTINGS if n in error.message), "energyPrice")
        return device_with_problems(
            request, owners, owner_id, device_id, problems={field: error.message}
        )
    to = f"/dashboard/energy/devices/{quote(device_id[:100], safe='')}?saved=1"
    return RedirectResponse(to, status_code=303)  # a reload does not post the form again


def device_with_problems(
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
        return dashboard_page(request, 404, notice=error.message)
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
