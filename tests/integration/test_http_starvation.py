"""One client cannot starve the others, over real HTTP (issue 16, item 2).

* An orphan flood from one client address fills that address's share of the held
  set; a legitimate client's out-of-order message (from another loopback address)
  is still held and then stored when its parent comes.
* Event streams are capped per client address and in total: one client opening
  many idle streams is refused beyond its cap, others still subscribe and read.

The node binds 127.0.0.1; clients connect from other loopback addresses
(127.0.0.2, …) so the node sees different client hosts.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from node_helpers import build, unique_tag
from node_server import RunningNode, node_settings, serve_node

from plaza.api import ApiConfig
from plaza.ledger.model import DataPayload

OCTETS = {"content-type": "application/octet-stream"}
HELD_LIMIT, HELD_PER_CLIENT = 20, 5
STREAMS_PER_CLIENT, STREAMS_TOTAL = 3, 5


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNode]:
    settings = node_settings(Path(tmp_path_factory.mktemp("fair")), held_limit=HELD_LIMIT)
    settings = settings.model_copy(
        update={
            "held_per_client": HELD_PER_CLIENT,
            "subscribers_per_client": STREAMS_PER_CLIENT,
            "subscribers_total": STREAMS_TOTAL,
        }
    )
    with serve_node(settings, api_config=ApiConfig(keepalive_s=0.1)) as running:
        yield running


def http_from(node: RunningNode, host: str) -> httpx.Client:
    """A client whose connections leave from loopback address ``host``."""
    transport = httpx.HTTPTransport(local_address=host)
    return httpx.Client(base_url=node.url, transport=transport, timeout=10)


def test_an_orphan_flood_does_not_block_another_clients_out_of_order_message(
    node: RunningNode,
) -> None:
    with node.client() as reader:
        flood = [
            build(reader, node.faucet, DataPayload(b"orphan", b"%d" % i), parents=[bytes([i]) * 32])
            for i in range(1, HELD_LIMIT + 6)
        ]
        parent = build(reader, node.faucet, DataPayload(unique_tag("p").encode(), b""))
        child = build(reader, node.faucet, DataPayload(b"child", b""), parents=[parent.id])
    with http_from(node, "127.0.0.3") as attacker, http_from(node, "127.0.0.2") as legit:
        answers = [attacker.post("/api/v1/messages", content=m.raw, headers=OCTETS) for m in flood]
        out_of_order = legit.post("/api/v1/messages", content=child.raw, headers=OCTETS)
        assert out_of_order.status_code == 201, out_of_order.text  # was 503 held_limit_reached
        assert out_of_order.json()["status"] == "held"
        first = legit.post("/api/v1/messages", content=parent.raw, headers=OCTETS)
        assert (first.status_code, first.json()["status"]) == (201, "stored")
        metadata = legit.get(f"/api/v1/messages/{child.id.hex()}/metadata")
        assert metadata.status_code == 200

        held = [a for a in answers if a.status_code == 201]
        refused = [a for a in answers if a.status_code == 503]
        assert (len(held), len(refused)) == (HELD_PER_CLIENT, len(flood) - HELD_PER_CLIENT)
        assert refused[0].json()["error"]["code"] == "held_limit_reached"
        assert "127.0.0.3" in refused[0].json()["error"]["message"]
        assert "retry-after" in refused[0].headers


def wait_until_no_streams(node: RunningNode) -> None:
    """Streams closed by an earlier test end when the server notices (a keepalive fails)."""
    deadline = time.monotonic() + 10
    while node.runtime.events.statistics()["subscribers"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert node.runtime.events.statistics()["subscribers"] == 0


def open_stream(stack: contextlib.ExitStack, http: httpx.Client, tag: str) -> httpx.Response:
    """Open an event stream and read only its headers (an idle subscriber)."""
    return stack.enter_context(http.stream("GET", "/api/v1/events", params={"tag": tag}))


def test_event_streams_are_capped_per_client_and_in_total(node: RunningNode) -> None:
    wait_until_no_streams(node)
    tag = unique_tag("capped")
    with (
        contextlib.ExitStack() as stack,
        http_from(node, "127.0.0.4") as greedy,
        http_from(node, "127.0.0.5") as other,
        http_from(node, "127.0.0.6") as late,
    ):
        greedy_streams = [open_stream(stack, greedy, tag) for _ in range(STREAMS_PER_CLIENT + 3)]
        statuses = [stream.status_code for stream in greedy_streams]
        assert statuses == [200] * STREAMS_PER_CLIENT + [429] * 3
        refused = greedy_streams[-1]
        refused.read()
        assert refused.json()["error"]["code"] == "subscriber_limit_reached"
        assert "from this client" in refused.json()["error"]["message"]
        assert refused.headers["connection"] == "close"  # a refused stream holds no socket

        others = [open_stream(stack, other, tag) for _ in range(STREAMS_TOTAL - STREAMS_PER_CLIENT)]
        assert [stream.status_code for stream in others] == [200] * len(others)
        beyond = open_stream(stack, late, tag)
        assert beyond.status_code == 429
        beyond.read()
        assert "in all" in beyond.json()["error"]["message"]

        reader = others[0].iter_lines()
        assert next(reader) == ": subscribed"
        with node.client() as client:
            client.submit(build(client, node.faucet, DataPayload(tag.encode(), b"")))
        assert next(line for line in reader if line.startswith("event:")) == "event: message"


def test_a_closed_stream_frees_its_clients_place(node: RunningNode) -> None:
    wait_until_no_streams(node)
    tag = unique_tag("freed")
    with http_from(node, "127.0.0.7") as http:
        with contextlib.ExitStack() as stack:
            first = [open_stream(stack, http, tag) for _ in range(STREAMS_PER_CLIENT)]
            assert [stream.status_code for stream in first] == [200] * STREAMS_PER_CLIENT
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with http.stream("GET", "/api/v1/events", params={"tag": tag}) as again:
                if again.status_code == 200:
                    return
            time.sleep(0.1)
        pytest.fail("closed streams kept their client's places")


def test_a_serving_node_keeps_its_startup_objects_out_of_full_collections(
    node: RunningNode,
) -> None:
    """A burst of connections (a client opening streams by the thousand) triggers a full
    collection; it walks only what was made since the node started, not every module,
    schema and route (about a tenth of a second on a small machine, during ingest)."""
    assert node.runtime.events.statistics() is not None  # the node has started serving
    assert gc.get_freeze_count() > 10_000
