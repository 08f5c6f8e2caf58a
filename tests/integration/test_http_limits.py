"""Limits that invite a retry (429, 503), keepalives, and the OpenAPI document.

These use their own node, with a held-message buffer of one, proof-of-work
refills too slow to matter, and a short keepalive, so the shared node's
clients are never rate limited or starved of held slots.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from node_helpers import build, unique_tag, unsolved
from node_server import RunningNode, node_settings, serve_node

from plaza.api import ApiConfig
from plaza.clients.node import NodeBusyError, NodeClient, RateLimitedError
from plaza.ledger.model import DataPayload

POW_BURST = 20  # NodeConfig's default burst; the settings do not expose it


@pytest.fixture(scope="module")
def strict_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNode]:
    settings = node_settings(
        Path(tmp_path_factory.mktemp("strict")), held_limit=1, pow_requests_per_s=0.01
    )
    with serve_node(settings, api_config=ApiConfig(keepalive_s=0.1)) as running:
        yield running


@pytest.fixture
def strict(strict_node: RunningNode) -> Iterator[NodeClient]:
    with strict_node.client() as client:
        yield client


def test_pow_requests_beyond_the_burst_get_429(
    strict_node: RunningNode, strict: NodeClient
) -> None:
    message = unsolved(strict, strict_node.faucet, unique_tag("burst"))
    statuses = [strict.submit(message, pow=True).status for _ in range(POW_BURST)]

    with pytest.raises(RateLimitedError) as limited:
        strict.submit(message, pow=True)

    assert statuses == ["stored"] + ["known"] * (POW_BURST - 1)
    assert (limited.value.status, limited.value.code) == (429, "pow_rate_limited")
    assert limited.value.retry_after is not None
    assert limited.value.retry_after >= 1
    done_here = strict.compose_and_submit(strict_node.faucet, DataPayload(b"own-work", b""))
    assert done_here.status == "stored"  # only work done by the node is limited


def test_held_buffer_full_gets_503_with_retry_after(
    strict_node: RunningNode, strict: NodeClient
) -> None:
    first = build(strict, strict_node.faucet, DataPayload(b"o1", b""), parents=[b"\x01" * 32])
    second = build(strict, strict_node.faucet, DataPayload(b"o2", b""), parents=[b"\x02" * 32])
    assert strict.submit(first).status == "held"

    with pytest.raises(NodeBusyError) as busy:
        strict.submit(second)

    assert (busy.value.status, busy.value.code) == (503, "held_limit_reached")
    assert busy.value.retry_after is not None


def test_idle_event_stream_gets_keepalive_comments(strict_node: RunningNode) -> None:
    params = {"tag": unique_tag("silent")}
    with (
        httpx.Client(base_url=strict_node.url, timeout=5) as http,
        http.stream("GET", "/api/v1/events", params=params) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        first_lines = [next(lines) for _ in range(4)]

    assert first_lines == [": subscribed", "", ": keepalive", ""]


def test_openapi_lists_every_endpoint(strict_node: RunningNode) -> None:
    with httpx.Client(base_url=strict_node.url) as http:
        document = http.get("/openapi.json").json()
        docs = http.get("/docs")

    operations = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    # The exact set is checked against docs/api.md (test_api_docs); here, the ledger's core.
    assert operations >= {
        ("GET", "/health"),
        ("GET", "/api/v1/info"),
        ("GET", "/api/v1/tips"),
        ("POST", "/api/v1/messages"),
        ("GET", "/api/v1/messages"),
        ("GET", "/api/v1/messages/{message_id}"),
        ("GET", "/api/v1/messages/{message_id}/raw"),
        ("GET", "/api/v1/messages/{message_id}/metadata"),
        ("GET", "/api/v1/messages/{message_id}/children"),
        ("GET", "/api/v1/milestones/latest"),
        ("GET", "/api/v1/milestones/{index}"),
        ("GET", "/api/v1/addresses/{address}/balance"),
        ("GET", "/api/v1/addresses/{address}/history"),
        ("GET", "/api/v1/events"),
    }
    submit = document["paths"]["/api/v1/messages"]["post"]
    assert set(submit["requestBody"]["content"]) == {"application/octet-stream", "application/json"}
    assert {"201", "200", "400", "413", "422", "429", "503"} <= set(submit["responses"])
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
