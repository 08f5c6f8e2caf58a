"""Buying a sensor's stream through the marketplace in a real browser (issue 12, item 3:
every purchase an order and a contract): a logged-in person's browser wallet signs a request
for the seconds wanted, which meets the sensor's standing offer; the contract's total is paid
from the same key with the stream key beside it, the sensor grants it, and the page reads on.

The sensor sells through the marketplace only (a direct payment would be refunded), so the
readings arriving prove the contract path; the marketplace then holds the contract, paid.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from streams_selling import Selling, selling_sensor
from test_web_accessibility import AXE

from plaza.clients.market import MarketClient
from plaza.streams import Terms
from plaza.streams.sensor import SensorConfig

PASSWORD = "a streams buyer's long password"
PASSPHRASE = "a long wallet passphrase"
#: 3,600 coins an hour (one a second), ten seconds at least; a reading every half second.
CONFIG = SensorConfig(
    "noise-via-roma",
    45.0677,
    7.6825,
    Terms(3_600, 3_600_000, 10_000),
    profile="noise",
    interval_s=0.5,
    poll_s=0.1,
)


@pytest.fixture(scope="module")
def selling(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Selling]:
    """A node, a marketplace on it, a sensor selling there only, and the web app relaying."""
    with selling_sensor(tmp_path_factory.mktemp("selling"), CONFIG) as running:
        yield running


def _buyer(visit: Page, url: str) -> None:
    """Sign up, and make and fund a wallet in the browser."""
    visit.goto(url + "/signup")
    visit.get_by_label("Email").fill("buyer@example.org")
    visit.get_by_label("Password", exact=True).fill(PASSWORD)
    visit.get_by_label("Password again").fill(PASSWORD)
    visit.get_by_role("button", name="Sign up").click()
    expect(visit.get_by_role("heading", level=1)).to_have_text("Your account")
    visit.goto(url + "/wallet")
    visit.get_by_label("Passphrase (at least 10 characters)", exact=True).fill(PASSPHRASE)
    visit.get_by_label("The passphrase again").fill(PASSPHRASE)
    visit.get_by_role("button", name="Create a wallet").click()
    visit.get_by_role("button", name="I have written them down").click()
    visit.get_by_role("button", name="Get coins from the devnet faucet").click()
    balance = visit.locator("#wallet-balance")
    expect(balance).to_have_text(re.compile(r"^[1-9][0-9,]* coins$"), timeout=15_000)


def test_a_logged_in_buyer_buys_a_stream_as_a_marketplace_contract(
    visit: Page, selling: Selling
) -> None:
    sensor = selling.agent.publisher.channel.id.hex()
    visit.goto(f"{selling.web.url}/streams/{sensor}")
    expect(visit.get_by_role("heading", level=1)).to_have_text("noise-via-roma")
    expect(visit.get_by_role("link", name="Log in to buy")).to_be_visible()  # nobody logged in
    expect(visit.get_by_role("button", name="Buy the stream")).to_have_count(0)

    _buyer(visit, selling.web.url)
    visit.goto(f"{selling.web.url}/streams/{sensor}")
    expect(visit.get_by_role("link", name="Log in to buy")).to_have_count(0)
    visit.get_by_label("How long").fill("30s")
    visit.get_by_label("Wallet passphrase").fill(PASSPHRASE)
    visit.get_by_role("button", name="Buy the stream").click()
    status = visit.locator("#buy-status")
    expect(status).to_contain_text("Granted until", timeout=40_000)
    expect(status).to_contain_text("The marketplace has the payment.")
    found = re.search(r"Contract (\S+): paid 30 coins", status.inner_text())
    assert found, status.inner_text()
    expect(visit.locator("#readings-body tr").first).to_be_visible(timeout=20_000)
    _paid_as_contracted(selling, found.group(1))
    assert _axe_violations(visit) == []  # the sensor page, bought, with its table and chart
    visit.goto(f"{selling.web.url}/streams/mine")
    expect(visit.get_by_role("heading", level=1)).to_have_text("Your sensors")
    assert _axe_violations(visit) == []


def _axe_violations(page: Page) -> list[tuple[object, object]]:
    page.evaluate(AXE.read_text())
    results = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']})"
    )
    assert results["passes"], "axe ran its rules"
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results["violations"]]


def _paid_as_contracted(selling: Selling, contract_id: str) -> None:
    """The sensor served the contract's payment, and the marketplace read it off the ledger."""
    served = [p for p in selling.agent.book.payments() if p.contract == contract_id]
    assert [(p.amount, p.state) for p in served] == [(30, "delivered")]
    with MarketClient(selling.market, identity=selling.agent.identity) as provider:
        deadline = time.monotonic() + 20
        while True:
            record = provider.contract(contract_id)
            settled = record.settlement
            if settled is not None and settled.payment_amount is not None:
                break
            assert time.monotonic() < deadline, f"the payment never reached {contract_id}"
            time.sleep(0.2)
    assert record.signed.match.kind == "stream"
    assert record.signed.match.quantity == 30  # seconds
    assert record.signed.total == 30
    assert settled.payment_amount == 30
    assert record.signed.match.consumer == served[0].payer  # paid from the requesting key
