"""``POST /api/v1/faucet`` on a real node: grants, bad requests, both rate limits.

The faucet nodes here are this module's own: the faucet limits every client
host, and all tests connect from 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from node_helpers import address_of
from node_server import RunningNode, node_settings, serve_node

from plaza.api import create_app
from plaza.clients.node import RateLimitedError
from plaza.crypto import SigningKey
from plaza.ledger.genesis import Genesis
from plaza.ledger.model import Conflict
from plaza.node import NodeConfig, NodeRuntime
from plaza.storage import MemoryTangleStore
from plaza.testing import FakeClock
from plaza.testing.builders import key_from_number

AMOUNT = 12_345


def faucet_settings(*, burst: int) -> dict[str, object]:
    return {"faucet_amount": AMOUNT, "faucet_burst": burst, "faucet_requests_per_s": 0.01}


@pytest.fixture(scope="module")
def faucet_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNode]:
    folder = tmp_path_factory.mktemp("faucet")
    settings = node_settings(folder).model_copy(update=faucet_settings(burst=50))
    with serve_node(settings) as running:
        yield running


def fresh_address() -> str:
    return str(address_of(SigningKey.generate()))


def test_a_grant_is_accepted_and_confirms(faucet_node: RunningNode) -> None:
    address = fresh_address()

    response = httpx.post(f"{faucet_node.url}/api/v1/faucet", json={"address": address})

    assert response.status_code == 202
    body = response.json()
    assert (body["address"], body["amount"]) == (address, AMOUNT)
    with faucet_node.client() as client:
        metadata = client.wait_for_confirmation(body["message_id"], timeout=10)
        assert metadata.conflict is Conflict.NONE
        assert client.balance(address).balance == AMOUNT


def test_the_same_address_again_is_429_with_retry_after(faucet_node: RunningNode) -> None:
    with faucet_node.client() as client:
        address = fresh_address()
        grant = client.faucet(address)

        with pytest.raises(RateLimitedError) as limited:
            client.faucet(address)

    assert grant.amount == AMOUNT
    assert str(grant.address) == address
    assert (limited.value.status, limited.value.code) == (429, "faucet_rate_limited")
    assert limited.value.retry_after is not None
    assert 1 <= limited.value.retry_after <= 60


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"address": "plz1notanaddress"}, "invalid_address"),
        ({"address": "x" * 101}, "invalid_request"),
        ({}, "invalid_request"),
        ({"address": "plz1", "more": 1}, "invalid_request"),
        (["not", "an", "object"], "invalid_request"),
    ],
)
def test_bad_requests_are_400(faucet_node: RunningNode, body: object, code: str) -> None:
    response = httpx.post(f"{faucet_node.url}/api/v1/faucet", json=body)

    assert (response.status_code, response.json()["error"]["code"]) == (400, code)


def test_a_client_beyond_its_burst_is_429(tmp_path: Path) -> None:
    settings = node_settings(tmp_path).model_copy(update=faucet_settings(burst=2))
    with serve_node(settings) as running, running.client() as client:
        client.faucet(fresh_address())
        client.faucet(fresh_address())

        with pytest.raises(RateLimitedError) as limited:
            client.faucet(fresh_address())

    assert limited.value.code == "faucet_rate_limited"
    assert "too many requests" in limited.value.message


async def post_in_process(runtime: NodeRuntime, body: object) -> httpx.Response:
    """One request to an app in this process (no server, no coordinator loop)."""
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as http:
        return await http.post("/api/v1/faucet", json=body)


def test_a_node_without_faucet_key_answers_404() -> None:
    clock = FakeClock()
    coordinator = key_from_number(2)
    genesis = Genesis.create(
        "no-faucet",
        timestamp_ms=clock.now_ms(),
        allocations={address_of(key_from_number(5)).raw: 1},
        coordinator_keys=(coordinator.public_key.raw,),
    )
    runtime = NodeRuntime(
        store=MemoryTangleStore(),
        genesis=genesis,
        config=NodeConfig(pow_difficulty=0),
        clock=clock,
        coordinator_keys=[coordinator],
    )
    try:
        response = asyncio.run(post_in_process(runtime, {"address": fresh_address()}))
    finally:
        runtime.close()

    assert (response.status_code, response.json()["error"]["code"]) == (404, "faucet_unavailable")
