"""A device's picture on ``/dashboard/energy``: shown to its owner, changed or removed.

The seed's "Add a new device" form has a "Device image"; onboarding takes it
(:mod:`~plaza.verticals.energy_onboarding`), and the device's page shows it and offers to
change or remove it. The picture is served only to the device's owner, with the type its
bytes were found to be, never cached by a shared cache.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from plaza.energy.errors import EnergyError
from plaza.verticals.energy_dashboard import checked_form, device_with_problems, viewer_owner

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/dashboard/energy/devices/{device_id}/image")
def device_image(request: Request, device_id: str) -> Response:
    """The picture, for the device's owner; 404 for anyone else or a device without one."""
    owners, owner_id, _ = viewer_owner(request)
    if owners is None or owner_id is None:
        return Response("No such picture.", status_code=404, media_type="text/plain")
    try:
        found = owners.device_image(owner_id, device_id[:100])
    except EnergyError:
        found = None
    if found is None:
        return Response("No such picture.", status_code=404, media_type="text/plain")
    media_type, data = found
    headers = {"cache-control": "private, max-age=300", "content-disposition": "inline"}
    return Response(data, media_type=media_type, headers=headers)


@router.post("/dashboard/energy/devices/{device_id}/image")
async def change_image(request: Request, device_id: str) -> Response:
    """A new picture (``image``), or none (``remove=yes``); a file that is not a picture is
    said beside the field and the old picture stays."""
    checked = await checked_form(request)
    if isinstance(checked, Response):
        return checked
    owners, owner_id, form = checked
    image = None if form.get("remove") == "yes" else form.files.get("image")
    if image is None and form.get("remove") != "yes":
        problem = {"image": "choose a picture, or tick remove"}
        return device_with_problems(request, owners, owner_id, device_id, problems=problem)
    try:
        owners.set_device_image(owner_id, device_id[:100], image)
    except EnergyError as error:
        return device_with_problems(
            request, owners, owner_id, device_id, problems={"image": error.message}
        )
    to = f"/dashboard/energy/devices/{quote(device_id[:100], safe='')}?saved=1"
    return RedirectResponse(to, status_code=303)
