"""Calling a service from its page in a real browser (issue 13's browser test): the page
gets the provider's quote, holds the price with the browser's own wallet (the job and
its side key sealed in the page), and opens the result when the provider is paid; a
failing job is refunded with the provider's reason, which only the page can read; the
history page lists both from this browser's book.

A node, a provider agent of the forecast service on it (its quote API on loopback), and
the web app over the node; the wallet is made on the wallet page and funded by the faucet.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from node_server import node_settings, serve_node
from playwright.sync_api import Page, expect
from services_examples import forecast
from services_support import providing
from web_server import RunningWeb, serve_web_app

PASSPHRASE = "a long passphrase"
AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def selling(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningWeb]:
    """A node, a provider selling the forecast on it, and the web app over both."""
    with (
        serve_node(node_settings(tmp_path_factory.mktemp("node"))) as node,
        node.client() as client,
        providing(node, Path(tmp_path_factory.mktemp("provider")), forecast),
    ):
        genesis = client.milestone(1).message_id.hex()
        with serve_web_app(node.url, genesis) as running:
            yield running


def _wallet(visit: Page, url: str) -> None:
    visit.goto(url + "/wallet")
    visit.get_by_label("Passphrase (at least 10 characters)", exact=True).fill(PASSPHRASE)
    visit.get_by_label("The passphrase again").fill(PASSPHRASE)
    visit.get_by_role("button", name="Create a wallet").click()
    visit.get_by_role("button", name="I have written them down").click()
    visit.get_by_role("button", name="Get coins from the devnet faucet").click()
    balance = visit.locator("#wallet-balance")
    expect(balance).to_have_text(re.compile(r"^[1-9][0-9,]* coins$"), timeout=15_000)


def _axe_violations(visit: Page) -> list[Any]:
    """axe-core's WCAG 2 A and AA violations on the page, as the accessibility test runs it."""
    visit.wait_for_load_state("networkidle")
    visit.evaluate(AXE.read_text())
    results: dict[str, Any] = visit.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']})"
    )
    assert results["passes"], "axe ran its rules"
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results["violations"]]


def test_the_services_pages_break_no_wcag_a_or_aa_rule(visit: Page, selling: RunningWeb) -> None:
    for path in ("/services", "/services/forecast", "/services/my/calls"):
        visit.goto(selling.url + path)
        assert _axe_violations(visit) == [], path


def test_call_a_service_from_its_page_and_see_the_result_and_the_receipt(
    visit: Page, selling: RunningWeb
) -> None:
    _wallet(visit, selling.url)
    visit.get_by_role("navigation", name="Main").get_by_role("link", name="Services").click()
    visit.get_by_role("link", name="forecast").click()
    expect(visit.get_by_role("heading", level=1)).to_contain_text("Weather forecast")

    visit.get_by_label("Input (JSON)").fill('{"place": "Torino"}')
    visit.get_by_label("Wallet passphrase").fill(PASSPHRASE)
    visit.get_by_role("button", name="Call for 25 coins per call").click()
    status = visit.locator("#call-status")
    expect(status).to_have_text("Done: paid, and the result is yours alone.", timeout=30_000)
    result = json.loads(visit.locator("#call-output").inner_text())
    assert result == {"place": "Torino", "forecast": "sun", "max_c": 21}
    receipt = visit.get_by_label("Receipt")
    expect(receipt).to_contain_text("25 coins")
    expect(receipt).to_contain_text("Released by")

    visit.get_by_label("Input (JSON)").fill('{"place": "Atlantis"}')
    visit.get_by_label("Wallet passphrase").fill(PASSPHRASE)
    visit.get_by_role("button", name="Call for 25 coins per call").click()
    expect(status).to_contain_text("refunded: no forecast for Atlantis", timeout=30_000)
    expect(visit.locator("#call-result")).to_be_hidden()
    expect(receipt).to_contain_text("Refunded by")

    visit.goto(selling.url + "/services")
    visit.get_by_role("link", name="Your calls").click()
    rows = visit.locator("#calls-body tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("refunded: no forecast for Atlantis")  # newest first
    expect(rows.nth(1)).to_contain_text("paid 25 coins")
    expect(rows.nth(1).locator("td.result")).to_have_text(
        '{"place":"Torino","forecast":"sun","max_c":21}'
    )
    visit.goto(selling.url + "/services/forecast")
    visit.get_by_label("Input (JSON)").fill("not json")
    visit.get_by_label("Wallet passphrase").fill(PASSPHRASE)
    visit.get_by_role("button", name="Call for 25 coins per call").click()
    expect(status).to_have_text("The input is not JSON.")
