"""Onboarding a device from ``/dashboard/energy`` over real HTTP on ``plaza demo``: Alice adds
a new meter with the seed's "Add a new device" form; a bad value is said beside its field,
a wrong UUID or a device that is not there is refused, and none of those leaves a device
behind. The demo runs in this process; the new meter is one more asset module beside its
devices.
"""

from __future__ import annotations

import re
import uuid as uuids
from html import unescape

import httpx
import pytest
from account_site import csrf_of, log_in

from plaza.api.energy.asset import AssetService
from plaza.bootstrap.energy_demo import EnergyDemo
from plaza.bootstrap.energy_hosting import Hosted

UUID = str(uuids.uuid4())


@pytest.fixture(scope="module")
def meter(energy_demo: EnergyDemo) -> Hosted[AssetService]:
    """A new device, serving its API, that knows its UUID and nobody's else."""
    hosted = energy_demo.stack.add_asset("meter", UUID)
    hosted.start(threads=True, cycle_s=0.5)
    return hosted


def _form(token: str, meter: Hosted[AssetService], **changes: str) -> dict[str, str]:
    form = {
        "csrf": token,
        "type": "consumer",
        "name": "meter",
        "uuid": UUID,
        "url": meter.url,
        "energyPrice": "25",
        "minOfferAmount": "500",
        "location": "Trondheim (63.43, 10.39)",
        "description": "the new meter",
        "fundingCap": "",
        "running": "yes",
    }
    return {**form, **changes}


def _devices(http: httpx.Client) -> list[str]:
    return re.findall(r'<tr id="device-([^"]+)"', http.get("/dashboard/energy").text)


def _beside(html: str, field: str) -> str:
    found = re.search(rf'id="o-{field}-problem">([^<]*)<', html)
    return "" if found is None else unescape(found.group(1))


def test_a_device_is_onboarded_with_the_seeds_form(
    energy_demo: EnergyDemo, alice: httpx.Client, meter: Hosted[AssetService]
) -> None:
    page = alice.get("/dashboard/energy")
    assert "Add a new device" in page.text
    token, before = csrf_of(page.text), _devices(alice)
    assert "meter" not in before

    forged = alice.post("/dashboard/energy/devices", data=_form("0" * 64, meter))
    assert forged.status_code == 403
    bad = alice.post("/dashboard/energy/devices", data=_form(token, meter, energyPrice="cheap"))
    assert bad.status_code == 400
    assert (
        _beside(bad.text, "energyPrice")
        == "Energy price (coins per kWh): a whole number, 0 or more"
    )
    assert 'value="the new meter"' in bad.text  # what was typed stays, the UUID aside
    assert UUID not in bad.text
    no_type = alice.post("/dashboard/energy/devices", data=_form(token, meter, type="battery"))
    assert _beside(no_type.text, "type") == "Type: choose Producer or Consumer"
    bad_url = alice.post("/dashboard/energy/devices", data=_form(token, meter, url="ftp://x"))
    assert bad_url.status_code == 400
    assert "url must be the device's http(s) address" in _beside(bad_url.text, "url")
    wrong = alice.post("/dashboard/energy/devices", data=_form(token, meter, uuid="not-it"))
    assert wrong.status_code == 502
    assert _beside(wrong.text, "uuid").endswith("/init: the uuid is not this device's")
    gone = alice.post(
        "/dashboard/energy/devices", data=_form(token, meter, url="http://127.0.0.1:9")
    )
    assert gone.status_code == 502
    assert "The device was not onboarded: http://127.0.0.1:9/init: unreachable" in gone.text
    assert _devices(alice) == before  # nothing was kept

    added = alice.post("/dashboard/energy/devices", data=_form(token, meter))
    assert (added.status_code, added.headers["location"]) == (
        303,
        "/dashboard/energy?done=onboarded",
    )
    shown = alice.get(added.headers["location"]).text
    assert "Device onboarded: it answered with its own keys" in shown
    assert _devices(alice) == [*before, "meter"]
    row = shown.split('<tr id="device-meter">')[1].split("</tr>")[0]
    assert "consumer" in row
    assert "25 coins per kWh" in row
    again = alice.post("/dashboard/energy/devices", data=_form(token, meter))
    assert again.status_code == 409  # its UUID is onboarded already
    assert _devices(alice) == [*before, "meter"]


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GIF = b"GIF89a" + b"\x01" * 64


def test_a_device_image_is_taken_shown_to_its_owner_only_changed_and_removed(
    energy_demo: EnergyDemo, alice: httpx.Client
) -> None:
    pump_uuid = str(uuids.uuid4())
    pump = energy_demo.stack.add_asset("pump", pump_uuid)
    pump.start(threads=True, cycle_s=0.5)
    token, before = csrf_of(alice.get("/dashboard/energy").text), _devices(alice)
    form = _form(token, pump, name="pump", uuid=pump_uuid)
    script = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    refused = alice.post(
        "/dashboard/energy/devices", data=form, files={"image": ("p.svg", script, "image/png")}
    )
    assert refused.status_code == 400
    assert _beside(refused.text, "image") == (
        "Device image: image must be a PNG, JPEG, GIF or WebP picture"
    )
    assert _devices(alice) == before  # refused before the device was even told

    added = alice.post(
        "/dashboard/energy/devices", data=form, files={"image": ("pump.png", PNG, "image/png")}
    )
    assert added.status_code == 303, added.text[-400:]
    assert _devices(alice) == [*before, "pump"]
    listed = alice.get("/dashboard/energy").text.split('<tr id="device-pump">')[1]
    found = re.search(r'href="/dashboard/energy/devices/([^"]+)"', listed)
    assert found
    at = f"/dashboard/energy/devices/{found.group(1)}"
    page = alice.get(at).text
    assert f'<img class="device-picture" src="{at}/image"' in page
    picture = alice.get(f"{at}/image")
    assert (picture.status_code, picture.content) == (200, PNG)
    assert picture.headers["content-type"] == "image/png"
    assert picture.headers["cache-control"].startswith("private")

    mallory = next(login for login in energy_demo.logins if login.email == "mallory@example.org")
    assert mallory.password is not None
    with httpx.Client(base_url=energy_demo.web_url, timeout=30) as other:
        assert other.get(f"{at}/image").status_code == 404
        log_in(other, mallory.email, mallory.password)
        assert other.get(f"{at}/image").status_code == 404

    token = csrf_of(page)
    changed = alice.post(
        f"{at}/image",
        data={"csrf": token},
        files={"image": ("pump.gif", GIF, "image/gif")},
    )
    assert changed.status_code == 303
    assert alice.get(f"{at}/image").content == GIF
    nothing = alice.post(
        f"{at}/image",
        data={"csrf": token},
        files={"image": ("", b"", "application/octet-stream")},
    )
    assert nothing.status_code == 400
    assert "choose a picture, or tick remove" in nothing.text
    assert alice.get(f"{at}/image").content == GIF  # kept
    removed = alice.post(
        f"{at}/image",
        data={"csrf": token, "remove": "yes"},
        files={"image": ("", b"", "application/octet-stream")},
    )
    assert removed.status_code == 303
    assert alice.get(f"{at}/image").status_code == 404
    assert "device-picture" not in alice.get(at).text
