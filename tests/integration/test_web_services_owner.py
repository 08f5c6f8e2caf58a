"""The provider's dashboard over real HTTP, a real node and real providers (issue 13,
item 6): a logged-in person sees the services whose signed description names their
account, each with its calls, failures (with the reasons its provider reported) and
revenue as the ledger shows them; nobody else's, no announcement naming them that the
provider's key did not sign, and no report filed by another key. Nobody logged in is
sent to log in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from account_site import log_in
from node_server import RunningNode
from services_examples import forecast, slow_forecast
from services_support import CLOCK, Provider, eventually, funded_key, providing
from web_server import memory_accounts, serve_web_app

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.channels import Channel, ChannelMode, Descriptor, announce
from plaza.clients.node import NodeClient
from plaza.crypto import Identity
from plaza.ledger.model import DataPayload
from plaza.services import CallRefunded
from plaza.services.catalog import listed_services, owned_services
from plaza.services.customer import call, find_service
from plaza.services.description import SERVICES_TAG
from plaza.services.report import FailureReport, encode_report, report_tag
from plaza.verticals.services_owner import latest_report

PASSWORD = "a password long enough"
PAGE = "/services/my/services"


def _sold_and_refunded(node: RunningNode, client: NodeClient, provider: Provider) -> None:
    """One call paid (25 coins) and one refunded (no forecast for Atlantis); the
    provider then files its failure report, and only once."""
    customer = funded_key(node, client)
    described = find_service(provider.ledger, "forecast")
    call(provider.ledger, customer, described, {"place": "Torino"}, clock=CLOCK)
    with pytest.raises(CallRefunded):
        call(provider.ledger, customer, described, {"place": "Atlantis"}, clock=CLOCK)
    agent = provider.agent
    eventually(lambda: agent.book.failure_reasons() == [("no forecast for Atlantis", 1)])
    agent.report_if_changed()  # unless its loop filed it already
    assert agent.report_if_changed() is None  # the same reasons are not filed again
    [listed] = [s for s in listed_services(provider.ledger) if s.description.name == "forecast"]
    report = latest_report(provider.ledger, listed)
    assert report is not None
    assert report.reasons == (("no forecast for Atlantis", 1),)


def _forge(ledger: RemoteLedger, provider: Provider, stranger: str) -> None:
    """Another key claims the forecast for the stranger (an announcement with the
    provider's payment address) and files a report of failures under its tag."""
    forger = Identity.generate()
    claim = replace(provider.agent.description, owner=stranger)
    channel = Channel.create(ChannelMode.PUBLIC, forger)
    descriptor = Descriptor.of(claim.descriptor_fields())
    announce(ledger, channel, forger, descriptor, clock=CLOCK, directory=SERVICES_TAG)
    forged = FailureReport.of(CLOCK.now_ms(), [("forged: the provider is a fraud", 999)])
    tag = report_tag(provider.agent.publisher.channel.id)
    ledger.submit(ledger.compose(forger.signing, DataPayload(tag, encode_report(forged))).raw)


@pytest.fixture(scope="module")
def site(
    node: RunningNode, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, str]]:
    """The web app with accounts over the node; the owner's forecast provider that sold
    once and refunded once, and the stranger's slow forecast; the URL and both ids."""
    accounts = memory_accounts(CLOCK)
    owner = accounts.service.create("owner@example.org", PASSWORD).user_id
    stranger = accounts.service.create("stranger@example.org", PASSWORD).user_id
    accounts.service.create("nobody@example.org", PASSWORD)
    folder = Path(tmp_path_factory.mktemp("providers"))
    with (
        node.client() as client,
        providing(node, folder / "mine", forecast, owner=owner) as mine,
        providing(node, folder / "theirs", slow_forecast, owner=stranger),
    ):
        _sold_and_refunded(node, client, mine)
        _forge(mine.ledger, mine, stranger)
        eventually(lambda: len(listed_services(mine.ledger)) == 2)
        assert [s.description.name for s in owned_services(mine.ledger, stranger)] == [
            "slow-forecast"
        ]
        genesis = client.milestone(1).message_id.hex()
        with serve_web_app(node.url, genesis, accounts=accounts) as running:
            yield running.url, owner, stranger


def _section(page: str, name: str) -> str:
    found = re.search(
        rf'<section class="owned-service"[^>]*data-name="{name}".*?</section>', page, re.S
    )
    assert found, f"{name} is not listed"
    return found.group(0)


def test_nobody_logged_in_is_sent_to_log_in(site: tuple[str, str, str]) -> None:
    url, _, _ = site
    with httpx.Client(base_url=url, timeout=30) as http:
        answer = http.get(PAGE)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login"


def test_an_owner_sees_calls_failures_with_reasons_and_revenue(site: tuple[str, str, str]) -> None:
    url, owner, _ = site
    with httpx.Client(base_url=url, timeout=30) as http:
        log_in(http, "owner@example.org", PASSWORD)
        page = http.get(PAGE)
        assert page.status_code == 200, page.text[-500:]
        assert page.headers["cache-control"] == "no-store"
        assert f"--owner {owner}" in page.text
        mine = _section(page.text, "forecast")
        assert 'href="/services/forecast"' in mine
        assert '<dd class="calls">2</dd>' in mine
        assert '<dd class="paid">1</dd>' in mine
        assert '<dd class="refunded">1</dd>' in mine
        assert '<dd class="revenue">25 coins</dd>' in mine
        assert '<dd class="returned">25 coins</dd>' in mine
        assert re.search(
            r'<td class="reason">no forecast for Atlantis</td><td class="num">1</td>', mine
        )
        assert "forged" not in page.text  # the report another key filed
        assert 'data-name="slow-forecast"' not in page.text  # the stranger's
        assert 'href="/services/my/services"' in http.get("/services").text
        dashboard = http.get("/dashboard")
        assert dashboard.status_code == 200
        assert 'href="/services/my/services"' in dashboard.text  # the vertical's section


def test_another_account_sees_only_its_own_not_a_forged_claim(
    site: tuple[str, str, str],
) -> None:
    url, _, _ = site
    with httpx.Client(base_url=url, timeout=30) as http:
        log_in(http, "stranger@example.org", PASSWORD)
        page = http.get(PAGE)
        assert page.status_code == 200
        assert 'data-name="forecast"' not in page.text  # claimed for it by another key
        theirs = _section(page.text, "slow-forecast")
        assert '<dd class="calls">0</dd>' in theirs
        assert '<dd class="revenue">0 coins</dd>' in theirs
        assert "No failure report yet" not in theirs  # nothing failed


def test_an_account_owning_no_service_is_told_so(site: tuple[str, str, str]) -> None:
    url, _, _ = site
    with httpx.Client(base_url=url, timeout=30) as http:
        log_in(http, "nobody@example.org", PASSWORD)
        page = http.get(PAGE)
        assert page.status_code == 200
        assert "No service announced on the ledger names your account" in page.text
        assert "owned-service" not in page.text
