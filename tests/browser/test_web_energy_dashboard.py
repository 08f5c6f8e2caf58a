"""Energy's part of the dashboard in a real browser, on ``plaza demo``: the demo's Alice logs
in and sees her five devices at the energy user module with their figures, pauses one and
lets it continue, and takes coins back from what the module may spend for her; a bad amount,
or a bad price in the form that adds a device, is said beside its field and changes
nothing."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from test_web_dashboard import _axe_violations

from plaza.bootstrap.energy_demo import EnergyDemo
from plaza.crypto import SigningKey


def _log_in_as_alice(page: Page, demo: EnergyDemo) -> None:
    alice = next(login for login in demo.logins if login.email == "alice@example.org")
    assert alice.password is not None
    page.goto(demo.web_url + "/dashboard/energy")  # nobody logged in: the login page first
    expect(page).to_have_url(re.compile(r"/login\?next=/dashboard/energy$"))
    page.get_by_label("Email").fill(alice.email)
    page.get_by_label("Password").fill(alice.password)
    page.get_by_role("button", name="Log in").click()


def test_alice_sees_pauses_and_continues_her_devices_and_withdraws(
    visit: Page, demo: EnergyDemo, problems: list[str]
) -> None:
    _log_in_as_alice(visit, demo)
    visit.goto(demo.web_url + "/dashboard")
    visit.get_by_role("link", name="Your energy devices").click()
    expect(visit.get_by_role("heading", level=1)).to_have_text("Your energy devices")
    rows = visit.locator("tbody tr")
    expect(rows).to_have_count(5)  # solar-roof, solar-barn, charger, ev, heat-pump
    roof = visit.locator("#device-solar-roof")
    expect(roof).to_contain_text("20 coins per kWh")
    expect(roof.locator(".device-status")).to_have_text("running")
    assert _axe_violations(visit) == []

    device = roof.locator("form").get_attribute("action")
    assert device is not None
    assert device.endswith("/pause")
    forged = visit.request.post(demo.web_url + device, form={"csrf": "0" * 64})
    assert forged.status == 403  # not this page's token: nothing changes
    assert "nothing was changed" in forged.text()
    visit.reload()
    expect(roof.locator(".device-status")).to_have_text("running")

    visit.get_by_role("button", name="Pause solar-roof").click()
    expect(visit.get_by_role("status")).to_contain_text("paused")
    expect(roof.locator(".device-status")).to_have_text("paused")
    visit.get_by_role("button", name="Continue solar-roof").click()
    expect(roof.locator(".device-status")).to_have_text("running")

    visit.get_by_label("To (a plz1… address)").fill(str(SigningKey.generate().public_key.address))
    visit.get_by_label("Amount (coins)").fill("lots")
    visit.get_by_role("button", name="Withdraw").click()
    expect(visit.locator("#w-amount-problem")).to_have_text(
        "Amount (coins): a whole number of coins above 0"
    )
    visit.get_by_label("To (a plz1… address)").fill("plz1nothing")
    visit.get_by_label("Amount (coins)").fill("1")
    visit.get_by_role("button", name="Withdraw").click()
    expect(visit.locator("#w-address-problem")).to_contain_text("address is not a valid address")
    payee = str(SigningKey.generate().public_key.address)
    visit.get_by_label("To (a plz1… address)").fill(payee)
    visit.get_by_label("Amount (coins)").fill("1")
    visit.get_by_role("button", name="Withdraw").click()
    expect(visit.get_by_role("status")).to_contain_text(f"Sent 1 coins to {payee}")
    assert _axe_violations(visit) == []
    _onboard_refused(visit)
    _transactions(visit, demo)
    problems[:] = [p for p in problems if "status of 400" not in p]  # the refused forms


def _onboard_refused(page: Page) -> None:
    """The seed's "Add a new device" form: a bad price is said beside its field, what was
    typed stays, and no device is added."""
    page.get_by_label("Name", exact=True).fill("meter")
    page.get_by_label("Device UUID (the one in the device's configuration)").fill("a-uuid")
    page.get_by_label("URL (the device's API, http:// or https://)").fill("http://127.0.0.1:9")
    page.get_by_label("Energy price (coins per kWh)").fill("cheap")
    page.get_by_label("Least energy per offer or request (Wh)").fill("500")
    page.get_by_role("button", name="Add device").click()
    expect(page.locator("#o-energyPrice-problem")).to_have_text(
        "Energy price (coins per kWh): a whole number, 0 or more"
    )
    expect(page.get_by_label("Name", exact=True)).to_have_value("meter")
    expect(page.locator("tbody tr")).to_have_count(5)
    assert _axe_violations(page) == []


def _transactions(page: Page, demo: EnergyDemo) -> None:
    """A device's transactions: filtered, searched, paged, each with its events, one checked
    against its twin on the ledger."""
    page.get_by_role("link", name="solar-roof").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("solar-roof")
    price = page.get_by_label("Price (coins per kWh)")
    expect(price).to_have_value("20")
    price.fill("cheap")
    page.get_by_role("button", name="Save on the device").click()
    expect(page.locator("#s-energyPrice-problem")).to_have_text("Price: a whole number, 0 or more")
    page.get_by_label("Price (coins per kWh)").fill("21")
    page.get_by_role("button", name="Save on the device").click()
    expect(page.get_by_role("status")).to_have_text("Settings saved on the device.")
    expect(page.locator("dl.facts")).to_contain_text("21 coins per kWh")
    rows = page.locator("tr.transaction")
    expect(rows.first).to_be_visible(timeout=20_000)
    pager = page.get_by_role("navigation", name="Pages of transactions")
    expect(pager).to_contain_text(re.compile(r"Page 1 of \d+ \(\d+ transactions?\)"))
    page.get_by_label("Status").select_option("Initial offer")
    page.get_by_role("button", name="Filter").click()
    for status in rows.locator("td:nth-child(2)").all_inner_texts():
        assert status == "Initial offer"
    page.get_by_label("Status").select_option("")
    page.get_by_label("Transaction id (or a piece of it)").fill("no-such-transaction")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(".empty")).to_have_text("No transaction matches.")
    page.goto(page.url.split("?")[0] + "?page=0")
    expect(page.locator("#t-problem")).to_contain_text("page")
    page.goto(page.url.split("?")[0])
    first = rows.first
    first.locator("summary").click()
    expect(first.locator("details li").first).to_be_visible()
    first.get_by_role("link", name="Verify event 1 against the ledger").click()  # the oldest
    expect(page.locator("#event-heading")).to_contain_text("Event 1: ")
    expect(page.locator("#event-result")).to_contain_text(
        re.compile(r"^On the twin at position \d+, in message \w+…?, signed by the device")
    )
    page.go_back()
    first.get_by_role("link", name=re.compile(r"^Verify (?!event ).+ against the ledger$")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("verified against the ledger")
    expect(page.locator("#verdict")).to_have_text(
        "Every state on its twin holds: signed by the device and read back from the ledger."
    )
    assert _axe_violations(page) == []
    _delete(page, demo)


def _delete(page: Page, demo: EnergyDemo) -> None:
    """The heat pump deleted, once the box saying so is ticked."""
    page.goto(demo.web_url + "/dashboard/energy")
    page.get_by_role("link", name="heat-pump").click()
    page.get_by_role("button", name="Delete heat-pump").click()
    expect(page.locator("#d-sure-problem")).to_have_text("tick this to delete the device")
    page.get_by_label("Yes, stop heat-pump and forget its settings and events").check()
    page.get_by_role("button", name="Delete heat-pump").click()
    expect(page.get_by_role("status")).to_contain_text("deleted.")
    expect(page.locator("tbody tr")).to_have_count(4)
    expect(page.locator("#device-heat-pump")).to_have_count(0)
