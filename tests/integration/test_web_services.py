"""The services' pages over a real node and a real provider (issue 13, item 6): the
catalogue, and a service's page with its price, its schemas read from the provider's
channel, and its provider's calls and revenue as the ledger shows them.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from node_helpers import address_of
from node_server import RunningNode
from services_examples import forecast
from services_support import CLOCK, eventually, funded_key, providing

from plaza.api.serving import ThreadedServer
from plaza.clients.node import NodeClient
from plaza.market.errors import OrderNotFound
from plaza.market.model import Order
from plaza.services import CallRefunded
from plaza.services.customer import call, find_service
from plaza.verticals import registry
from plaza.web import WebSources, create_web_app


class _NoListings:
    def orders(self) -> list[Order]:
        return []

    def order(self, order_id: str) -> Order:
        raise OrderNotFound(order_id)


@pytest.fixture
def web(node: RunningNode) -> Iterator[httpx.Client]:
    with NodeClient(node.url) as reader:
        app = create_web_app(
            WebSources(book=_NoListings(), node=reader), verticals=registry.verticals()
        )
        with ThreadedServer(app) as server, httpx.Client(base_url=server.url) as http:
            yield http


def _facts(page: str, section: str) -> dict[str, str]:
    block = page.split(f'id="{section}"', 1)[1].split("</dl>", 1)[0]
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)", block))


def test_the_catalogue_and_a_services_page_show_what_the_ledger_says(
    node: RunningNode, client: NodeClient, web: httpx.Client, tmp_path: Path
) -> None:
    customer = funded_key(node, client)
    with providing(node, tmp_path / "provider", forecast) as provider:
        described = find_service(provider.ledger, "forecast")
        call(provider.ledger, customer, described, {"place": "Torino"}, clock=CLOCK)
        with pytest.raises(CallRefunded):
            call(provider.ledger, customer, described, {"place": "Atlantis"}, clock=CLOCK)
        eventually(lambda: client.balance(provider.agent.address).balance == 25)

        listing = web.get("/services")
        assert listing.status_code == 200
        assert '<a href="/services/forecast">forecast</a>' in listing.text
        assert "25 coins per call" in listing.text

        page = web.get("/services/forecast")
        assert page.status_code == 200
        assert "Weather forecast" in page.text
        terms = _facts(page.text, "terms")
        assert terms["Price"] == "25 coins per call"
        assert f"<dd><code>{provider.agent.address}</code></dd>" in page.text
        # The announcement carries no schema: this one was read from the provider's channel.
        assert '"required": [\n    "place"\n  ]' in page.text.replace("&#34;", '"')
        figures = _facts(page.text, "usage")
        assert figures["Calls"] == "2"
        assert figures["Paid"] == "1"
        assert figures["Failed and refunded"] == "1"
        assert figures["Revenue"] == "25 coins"
    assert client.balance(address_of(customer)).balance == 1_000 - 25


def test_an_unknown_or_malformed_name_is_a_clear_4xx(web: httpx.Client) -> None:
    missing = web.get(f"/services/nothing-{secrets.token_hex(4)}")
    assert missing.status_code == 404
    assert "is announced" in missing.text
    malformed = web.get("/services/Not_A_Name")
    assert malformed.status_code == 400
    assert "matches" in malformed.text
