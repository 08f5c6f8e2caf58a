"""The services' pages over a real node and a real provider (issue 13, item 6): the
catalogue, and a service's page with its price, its schemas read from the provider's
channel, and its provider's calls and revenue as the ledger shows them.
"""

from __future__ import annotations

import json
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
from plaza.services.customer_book import CustomerBook
from plaza.services.quote import Quote
from plaza.services.sealing import open_result, result_key
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


def test_the_call_forms_relays_refuse_bad_input_with_a_clear_4xx(web: httpx.Client) -> None:
    bad_json = web.post(
        "/services/forecast/quote", content=b"{", headers={"content-type": "application/json"}
    )
    assert bad_json.status_code == 400
    assert web.post("/services/forecast/quote", json={"call_id": "zz"}).status_code == 400
    assert web.post("/services/forecast/quote", json=["x"]).status_code == 400
    assert web.post("/services/Bad_Name/quote", json={"call_id": "00" * 16}).status_code == 400
    unknown = web.post(f"/services/none-{secrets.token_hex(3)}/quote", json={"call_id": "00" * 16})
    assert unknown.status_code == 404
    assert "is sold" in unknown.json()["detail"]
    assert web.get("/services/api/holds/xyz").status_code == 400
    assert web.get(f"/services/api/holds/{'00' * 32}").json() == {"status": "pending"}


def test_the_quote_is_the_providers_relayed_and_the_hold_what_the_ledger_says(
    node: RunningNode, client: NodeClient, web: httpx.Client, tmp_path: Path
) -> None:
    customer = funded_key(node, client)
    with providing(node, tmp_path / "provider", forecast) as provider:
        call_id = secrets.token_bytes(16)
        relayed = web.post("/services/forecast/quote", json={"call_id": call_id.hex()})
        assert relayed.status_code == 200
        quote = Quote.from_json(relayed.json()["quote"])
        assert quote == provider.agent.quote(call_id)  # the same quote, asked again
        book = CustomerBook(None)
        described = find_service(provider.ledger, "forecast")
        call(provider.ledger, customer, described, {"place": "Oslo"}, clock=CLOCK, book=book)
        paid = book.calls()[0]
        state = web.get(f"/services/api/holds/{paid.hold_id.hex()}").json()
        assert state["status"] == "released"
        assert state["amount"] == 25
        record = bytes.fromhex(state["record"])
        assert record.startswith(b"plaza-call-result")
        secret = bytes.fromhex(state["secret"])
        key = result_key(secret, paid.side_key, paid.call_id)
        sealed = record[len(b"plaza-call-result") + 32 :]
        opened = open_result(key, paid.call_id, sealed).rstrip(b" ")
        assert json.loads(opened)["place"] == "Oslo"


HOSTILE = [
    "/services/" + "x" * 5_000,
    "/services/%C3%9C%00",
    "/services/-",
    "/services/api/holds/" + "0" * 5_000,
    "/services/api/holds/%C3%9C",
    "/services/api/holds/" + "F" * 64,
    "/services/my/calls?x=%00",
]


def test_hostile_paths_and_bodies_are_4xx_never_500(web: httpx.Client) -> None:
    for probe in HOSTILE:
        reply = web.get(probe)
        assert reply.status_code < 500, (probe[:60], reply.status_code)
    for body in (b"", b"null", b'{"call_id": 1}', b'{"call_id": "' + b"a" * 5_000 + b'"}', b"\xff"):
        reply = web.post(
            "/services/forecast/quote", content=body, headers={"content-type": "application/json"}
        )
        assert 400 <= reply.status_code < 500, (body[:40], reply.status_code)
