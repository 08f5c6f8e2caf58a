"""A person's first visit, in a real browser: the marketplace, a listing's twin, the explorer,
the docs, all without an account and without a network beyond loopback.

Every page is checked for what a browser alone can see going wrong: a request to
another host (there is no network here, and the pages promise to need none), a
Content-Security-Policy violation or a script error in the console.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from plaza.bootstrap.energy_demo import EnergyDemo
from plaza.clients.node import NodeClient
from plaza.crypto import SigningKey
from plaza.ledger.model import DataPayload


def test_browse_the_marketplace_filter_and_open_a_listings_twin(
    visit: Page, demo: EnergyDemo
) -> None:
    visit.goto(demo.web_url)
    visit.get_by_role("navigation", name="Main").get_by_role("link", name="Marketplace").click()
    expect(visit.get_by_role("heading", level=1)).to_have_text("Marketplace")
    visit.wait_for_load_state()  # htmx (a deferred script) has taken the form over
    rows = visit.locator("#results tbody tr")
    expect(visit.locator("#results")).to_be_visible()  # open listings may all be matched now

    visit.get_by_label("Status").select_option("all")  # open offers come and go; these stay
    expect(visit).to_have_url(re.compile(r"status=all"))
    visit.get_by_label("Side").select_option("offer")  # htmx swaps the table, and the URL
    expect(visit).to_have_url(re.compile(r"side=offer"))
    expect(visit.locator("#results .badge-request")).to_have_count(0)
    expect(visit.locator("#results .badge-offer").first).to_be_visible()
    expect(rows.first).to_contain_text("coins per kWh")
    expect(rows.first).to_contain_text("Wh")

    rows.first.get_by_role("link").click()
    expect(visit.get_by_role("heading", level=1)).to_contain_text("Offer ord-")
    twin = visit.locator("table.twin tbody tr")
    for _ in range(20):  # the bid manager notes a new order's bid a moment after booking it
        if twin.count():
            break
        visit.wait_for_timeout(250)
        visit.reload()
    expect(twin.first).to_contain_text("offer received")

    visit.get_by_role("button", name="Verify against the ledger").click()  # htmx: in place
    verdict = visit.locator("#verification")
    expect(verdict.get_by_role("heading")).to_have_text(re.compile(r"^(Not v|V)erified"))
    expect(verdict).to_contain_text("The offer's twin")
    expect(verdict).to_contain_text("confirmed by a milestone")
    expect(visit.get_by_role("heading", level=1)).to_contain_text("Offer ord-")


def test_a_bad_filter_value_says_what_is_wrong(
    visit: Page, demo: EnergyDemo, problems: list[str]
) -> None:
    response = visit.goto(demo.web_url + "/market?min_price=cheap")
    assert response is not None
    assert response.status == 400
    expect(visit.get_by_role("alert")).to_contain_text("min_price: must be a whole number")
    visit.goto(demo.web_url + "/market")
    visit.get_by_label("Price from").fill("9")
    visit.get_by_label("Price up to").fill("3")
    visit.get_by_role("button", name="Filter").click()  # htmx: the table's place says why
    expect(visit.locator("#results [role=alert]")).to_contain_text(
        "max_price: must be at least min_price (9)"
    )
    expect(visit.get_by_label("Price from")).to_have_value("9")  # the form keeps what was typed
    expected = "the server responded with a status of 400"
    problems[:] = [problem for problem in problems if expected not in problem]


def test_explore_a_milestone_then_its_parent_and_see_milestones_arrive(
    visit: Page, demo: EnergyDemo
) -> None:
    visit.goto(demo.web_url + "/explorer")
    live = visit.locator("#live li.live-milestone")
    expect(live.first).to_be_visible(timeout=10_000)  # the node issues one a second
    visit.locator("table.milestones tbody tr").first.get_by_role("link").first.click()
    expect(visit.get_by_role("heading", level=1)).to_contain_text("Message")
    expect(visit.locator("#state")).to_contain_text("confirmed")
    parents = visit.get_by_role("region", name="Parents").get_by_role("link")
    parent = parents.first.get_attribute("href")
    assert parent is not None
    parents.first.click()
    expect(visit).to_have_url(re.compile(re.escape(parent) + "$"))
    expect(visit.get_by_role("heading", level=1)).to_contain_text(parent.rsplit("/", 1)[1])


def test_a_fresh_messages_page_shows_its_confirmation_as_it_comes(
    visit: Page, demo: EnergyDemo
) -> None:
    """A data message just sent: its page says when a milestone confirms it (its state line
    refreshes on each milestone the live stream announces)."""
    with NodeClient(demo.node_url) as node:
        sent = node.compose_and_submit(SigningKey.generate(), DataPayload(b"web", b"hi"), pow=True)
    visit.goto(f"{demo.web_url}/explorer/messages/{sent.id.hex()}")
    expect(visit.locator("#state")).to_contain_text("confirmed by milestone", timeout=10_000)
    expect(visit.get_by_role("link", name="web")).to_be_visible()


def test_the_docs_pages_render_with_no_network(visit: Page, demo: EnergyDemo) -> None:
    visit.goto(demo.web_url + "/docs")
    links = visit.get_by_role("main").get_by_role("link", name=re.compile(r" API$"))
    expect(links).to_have_count(5)  # node, energy marketplace, bid manager, user module, market
    links.first.click()
    expect(visit.locator(".swagger-ui .info .title")).to_contain_text("Plaza")
    expect(visit.locator(".opblock").first).to_be_visible()


def test_the_keyboard_reaches_the_content_first(visit: Page, demo: EnergyDemo) -> None:
    visit.goto(demo.web_url + "/market")
    visit.keyboard.press("Tab")
    skip = visit.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    visit.keyboard.press("Enter")
    expect(visit).to_have_url(re.compile(r"#main$"))


def test_the_demos_auditor_logs_in_and_audits_a_contract(visit: Page, demo: EnergyDemo) -> None:
    """The demo made its accounts on start and holds their passwords for the banner; its
    auditor opens a contract and reads its twins back from the ledger."""
    auditor = next(login for login in demo.logins if login.who == "auditor")
    assert auditor.password is not None
    visit.goto(demo.web_url + "/login")
    visit.get_by_label("Email").fill(auditor.email)
    visit.get_by_label("Password").fill(auditor.password)
    visit.get_by_role("button", name="Log in").click()
    expect(visit.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(visit.get_by_role("banner")).to_contain_text("Logged in as auditor@example.org")
    expect(visit.locator("#roles")).to_have_text("auditor")

    visit.get_by_role("link", name="Open the audit").click()
    expect(visit.get_by_role("heading", level=1)).to_have_text("Audit")
    contracts = visit.locator("table.audit tbody tr")
    for _ in range(40):  # the demo's first contract comes a few ticks after its start
        if contracts.count():
            break
        visit.wait_for_timeout(250)
        visit.reload()
    contracts.first.get_by_role("link").click()
    expect(visit.locator("#verification h3")).to_have_text(re.compile(r"^(Not v|V)erified"))
    expect(visit.get_by_role("heading", name="The contract's twin")).to_be_visible()
    expect(visit.locator("table.twin-states tbody tr").first).to_contain_text("contractId")
