"""A provider's owner sees their service's calls, failures and revenue in a real browser
(issue 13, item 6): the page sends a visitor who is not logged in to the login page;
once logged in, the dashboard's link leads to the services whose description names
the account, with what the ledger says of their calls and why the failed ones failed.

A node, a provider of the forecast service owned by the account (its quote API on
loopback), two calls made before the browser comes (one paid, one refunded), the
provider's failure report filed, and the web app with accounts over the node.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from node_server import node_settings, serve_node
from playwright.sync_api import Page, expect
from services_examples import forecast
from services_support import CLOCK, eventually, funded_key, providing
from test_web_services_call import _axe_violations
from web_server import RunningWeb, memory_accounts, serve_web_app

from plaza.services import CallRefunded
from plaza.services.customer import call, find_service

EMAIL = "provider.owner@example.org"
PASSWORD = "a provider owner's long password"


@pytest.fixture(scope="module")
def selling(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningWeb]:
    """The owner's forecast provider after a paid call and a refunded one, and the web app."""
    accounts = memory_accounts(CLOCK)
    owner = accounts.service.create(EMAIL, PASSWORD).user_id
    with (
        serve_node(node_settings(tmp_path_factory.mktemp("node"))) as node,
        node.client() as client,
        providing(node, Path(tmp_path_factory.mktemp("provider")), forecast, owner=owner) as sold,
    ):
        customer = funded_key(node, client)
        described = find_service(sold.ledger, "forecast")
        call(sold.ledger, customer, described, {"place": "Torino"}, clock=CLOCK)
        with pytest.raises(CallRefunded):
            call(sold.ledger, customer, described, {"place": "Atlantis"}, clock=CLOCK)
        eventually(lambda: sold.agent.book.failure_reasons() != [])
        sold.agent.report_if_changed()
        genesis = client.milestone(1).message_id.hex()
        with serve_web_app(node.url, genesis, accounts=accounts) as running:
            yield running


def test_the_owner_logs_in_and_sees_calls_failures_and_revenue(
    visit: Page, selling: RunningWeb
) -> None:
    visit.goto(selling.url + "/services/my/services")
    expect(visit).to_have_url(selling.url + "/login")
    visit.get_by_label("Email").fill(EMAIL)
    visit.get_by_label("Password").fill(PASSWORD)
    visit.get_by_role("button", name="Log in").click()
    expect(visit.get_by_role("banner")).to_contain_text(f"Logged in as {EMAIL}")

    visit.goto(selling.url + "/dashboard")
    visit.get_by_role("link", name="Your services").click()
    expect(visit.get_by_role("heading", level=1)).to_have_text("Your services")
    mine = visit.get_by_role("region", name="Weather forecast (forecast)")
    expect(mine.locator("dd.calls")).to_have_text("2")
    expect(mine.locator("dd.paid")).to_have_text("1")
    expect(mine.locator("dd.refunded")).to_have_text("1")
    expect(mine.locator("dd.revenue")).to_have_text("25 coins")
    expect(mine.locator("dd.returned")).to_have_text("25 coins")
    failures = mine.get_by_role("table")
    expect(failures.get_by_role("row")).to_have_count(2)  # the head, and one reason
    expect(failures.locator("tbody tr").first).to_have_text("no forecast for Atlantis1")
    assert _axe_violations(visit) == []
    mine.get_by_role("link", name="Weather forecast").click()
    expect(visit.get_by_role("heading", level=1)).to_contain_text("Weather forecast")
