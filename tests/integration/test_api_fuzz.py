"""Schemathesis against every API's OpenAPI document, over real HTTP (issue 16, item 1):
no generated request, valid or not, gets a 5xx or an answer its schema does not document.
See ``fuzzing.py`` for the bounds; event streams are left out (they never end by
themselves). The marketplace is fuzzed anonymously, with a provider's API key (its reads
and writes get past authentication) and with sealed bodies (``{"encrypted": ...}``
as a client seals them, and malformed ones); it runs with a ledger node, as it is deployed,
so the routes that hold payments (telco's orders) answer as served."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from energy_stack import Flow, energy_flow
from fuzzing import fuzz_api
from market_server import MarketWorld, RunningMarket, serve_market
from node_server import RunningNode
from services_examples import forecast
from services_support import providing
from web_server import serve_web_app

from plaza.market.auth import Scope, seal_body


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory, node: RunningNode) -> Iterator[RunningMarket]:
    """The marketplace on the module's node (a marketplace without one refuses orders that
    need a held payment with 503 ``no_ledger``: how it is configured, not what was sent)."""
    folder = tmp_path_factory.mktemp("market")
    with serve_market(folder, node_url=node.url, allow_private_callbacks=True) as running:
        yield running


def test_the_node_api_answers_every_generated_request_as_documented(node: RunningNode) -> None:
    assert fuzz_api(node.url) == []


def test_the_marketplace_api_answers_every_generated_request_as_documented(
    market: RunningMarket,
) -> None:
    assert fuzz_api(market.url) == []


def test_the_marketplace_api_answers_a_key_holders_generated_requests_as_documented(
    world: MarketWorld,
) -> None:
    key = world.provider.create_api_key("fuzz", [Scope.MARKET_READ, Scope.MARKET_WRITE])
    headers = {"Authorization": f"Bearer {key.secret}"}
    public_key = world.market.runtime.services.identity.encryption.public_key

    def seal(body: bytes) -> bytes:
        return seal_body(body, public_key).document

    assert fuzz_api(world.market.url, headers=headers, examples=5, seal=seal) == []


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flow]:
    with energy_flow(tmp_path_factory.mktemp("energy")) as running:
        yield running


def test_the_energy_modules_answer_every_generated_request_as_documented(flow: Flow) -> None:
    owner = flow.http.post(flow.stack.owner.url + "/api/owners", json={"name": "Fuzz"}).json()
    device = flow.stack.add_asset("fuzzed", "ba4a33f0-ee20-41e4-9fcd-9f91ecf77d0f")
    device.start(threads=False)
    bearer = {"Authorization": f"Bearer {owner['apiKey']}"}
    failures = [
        *fuzz_api(flow.stack.marketplace.url),
        *fuzz_api(flow.stack.bidmanager.url),
        *fuzz_api(flow.stack.owner.url, headers=bearer),
        *fuzz_api(device.url),
    ]
    assert failures == []


def test_the_web_apps_wallet_api_answers_every_generated_request_as_documented(
    node: RunningNode,
) -> None:
    with node.client() as client:
        genesis = client.milestone(1).message_id.hex()
    with serve_web_app(node.url, genesis) as web:
        assert fuzz_api(web.url) == []


def test_a_service_providers_api_answers_every_generated_request_as_documented(
    node: RunningNode, tmp_path: Path
) -> None:
    with providing(node, tmp_path / "provider", forecast, run=False) as provider:
        assert fuzz_api(provider.agent.description.endpoint) == []
