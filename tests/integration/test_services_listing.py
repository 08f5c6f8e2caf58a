"""Services are listings of the one marketplace (issue 13, item 1): a provider given a
marketplace keeps its service listed there as a standing ``service`` offer, which the
public marketplace page shows under the services vertical and finds by the service's
name; a new price replaces the offer and a retired service's offer is cancelled.

A real node, a real marketplace (SQLite, uvicorn), a provider agent signing as its own
identity, and the web app over the marketplace's book, all over loopback HTTP.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from market_server import RunningMarket, serve_market
from node_server import RunningNode
from services_examples import forecast
from services_support import CLOCK, funded_key, providing

from plaza.api.serving import ThreadedServer
from plaza.clients.market import MarketClient, OrderTerms
from plaza.clients.node import NodeClient
from plaza.crypto import Identity
from plaza.market.auth import Role
from plaza.market.book.views import OrderQuery
from plaza.market.marketplace import Marketplace
from plaza.market.model import Order, OrderStatus, Requirements, Side, attributes
from plaza.services.customer import call, find_service
from plaza.services.kind import CHANNEL, SERVICE_NAME
from plaza.services.listing import keep_listed
from plaza.services.provider import ProviderHome
from plaza.verticals import registry
from plaza.web import WebSources, create_web_app


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMarket]:
    with serve_market(tmp_path_factory.mktemp("market")) as running:
        yield running


class _OpenBook:
    """The marketplace's open listings as the web app reads a book (its public search)."""

    def __init__(self, marketplace: Marketplace) -> None:
        self._marketplace = marketplace

    def orders(self) -> list[Order]:
        return self._marketplace.search(OrderQuery(limit=10_000))

    def order(self, order_id: str) -> Order:
        return self._marketplace.order(None, order_id)


@pytest.fixture(scope="module")
def web(node: RunningNode, market: RunningMarket) -> Iterator[httpx.Client]:
    """The public pages over the marketplace's own book."""
    with NodeClient(node.url) as reader:
        sources = WebSources(book=_OpenBook(market.runtime.services.marketplace), node=reader)
        app = create_web_app(sources, verticals=registry.verticals())
        with ThreadedServer(app) as server, httpx.Client(base_url=server.url) as http:
            yield http


def _listed(web: httpx.Client, query: str) -> list[str]:
    page = web.get(f"/market?{query}")
    assert page.status_code == 200, page.text
    return [id for id in re.findall(r'<a href="/market/([^"?/]+)">', page.text) if id != "map"]


def test_a_provider_lists_its_service_found_by_vertical_and_by_name(
    node: RunningNode, market: RunningMarket, web: httpx.Client, tmp_path: Path
) -> None:
    home = tmp_path / "provider"
    identity = ProviderHome(home).identity()
    with (
        MarketClient(market.url, identity=identity) as client,
        providing(node, home, forecast, run=False) as provider,
    ):
        provider.agent.market = client
        offer_id = provider.agent.keep_listed()
        assert offer_id is not None
        order = client.order(offer_id)
        assert (order.kind, order.side, order.unit_price) == ("service", Side.OFFER, 25)
        named = dict(order.attributes)
        assert named[SERVICE_NAME] == "forecast"
        assert named[CHANNEL] == provider.agent.publisher.channel.id.hex()
        # Kept, not placed again, by the same description (a restart calls it again).
        assert provider.agent.keep_listed() == offer_id

        assert offer_id in _listed(web, "vertical=service")
        assert offer_id in _listed(web, "q=forec")
        assert offer_id not in _listed(web, "vertical=energy")
        assert offer_id not in _listed(web, "q=route")
        page = web.get(f"/market/{offer_id}")
        assert page.status_code == 200
        assert "calls" in page.text  # the service kind's units

        # A new price is a new description: a new offer, the old one cancelled.
        provider.agent.description = replace(provider.agent.description, price=30)
        repriced = provider.agent.keep_listed()
        assert repriced not in (None, offer_id)
        assert client.order(offer_id).status is OrderStatus.REMOVED
        assert client.order(repriced).unit_price == 30

        provider.agent.retire()
        assert client.order(repriced).status is OrderStatus.REMOVED
        assert provider.agent.keep_listed() is None
        assert _listed(web, "q=forec") == []


def test_a_request_for_a_service_waits_on_the_book_and_makes_no_contract(
    node: RunningNode, market: RunningMarket, tmp_path: Path
) -> None:
    """A call is paid by its hold: the service kind matches nothing by itself, so a
    request is a wanted notice beside the offer, and no contract is made that no hold
    would pay."""
    home = tmp_path / "provider"
    with (
        MarketClient(market.url, identity=ProviderHome(home).identity()) as client,
        MarketClient(market.url, identity=Identity.generate()) as customer,
        providing(node, home, forecast, run=False) as provider,
    ):
        provider.agent.market = client
        offer_id = provider.agent.keep_listed()
        assert offer_id is not None
        customer.register("a customer", roles=(Role.CONSUMER,))
        now = CLOCK.now_ms()
        wanted = Requirements(attributes=attributes({SERVICE_NAME: "forecast"}))
        terms = OrderTerms("service", 10, 25, now, now + 3_600_000, requirements=wanted)
        outcome = customer.request(terms)
        assert not outcome.contracts
        assert customer.order(outcome.order.id).status is OrderStatus.ACTIVE
        assert client.order(offer_id).remaining == client.order(offer_id).quantity


def test_a_listing_gone_from_the_book_is_placed_again(
    node: RunningNode, market: RunningMarket, tmp_path: Path
) -> None:
    home = tmp_path / "provider"
    with (
        MarketClient(market.url, identity=ProviderHome(home).identity()) as client,
        providing(node, home, forecast, run=False) as provider,
    ):
        agent = provider.agent
        channel = agent.publisher.channel.id.hex()
        first = keep_listed(client, agent.book, agent.description, channel, CLOCK.now_ms())
        assert first is not None
        client.cancel(first)  # cancelled by hand, say
        again = keep_listed(client, agent.book, agent.description, channel, CLOCK.now_ms())
        assert again not in (None, first)
        assert client.order(again).status is OrderStatus.ACTIVE


def test_a_marketplace_that_does_not_answer_keeps_no_call_waiting(
    node: RunningNode, client: NodeClient, tmp_path: Path
) -> None:
    customer = funded_key(node, client)
    home = tmp_path / "provider"
    with (
        MarketClient("http://127.0.0.1:9", identity=ProviderHome(home).identity()) as down,
        providing(node, home, forecast, run=False) as provider,
    ):
        provider.agent.market = down
        loop = threading.Thread(target=provider.agent.run, args=(provider.stop,), daemon=True)
        loop.start()
        try:
            described = find_service(provider.ledger, "forecast")
            result = call(provider.ledger, customer, described, {"place": "Oslo"}, clock=CLOCK)
            assert result["place"] == "Oslo"
        finally:
            provider.stop.set()
            loop.join(timeout=10)
