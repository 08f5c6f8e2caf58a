"""Every class of bad input gets its own 4xx and code, and changes nothing.

"Changes nothing" is checked on the node's own count of stored messages, less
its milestones (the coordinator keeps adding those), and by the rejected
message's id staying unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

import httpx
import pytest
from node_helpers import (
    address_of,
    build,
    data_message,
    raw_with_parents,
    raw_with_payload_kind,
    unique_tag,
    with_bad_signature,
    with_nonce_failing_work,
)
from node_server import RunningNode

from plaza.clients.node import (
    ApiError,
    InvalidRequestError,
    MessageRejectedError,
    NodeClient,
    NotFoundError,
    RequestTooLargeError,
)
from plaza.ledger.model import DataPayload, Message


def _non_milestone_messages(client: NodeClient) -> int:
    statistics = client.info().statistics
    return statistics["messages"] - statistics["latest_milestone"]


@pytest.fixture
def unchanged(client: NodeClient) -> Iterator[None]:
    """Fail the test if the node stored anything but milestones while it ran."""
    before = _non_milestone_messages(client)
    yield
    assert _non_milestone_messages(client) == before


def _refused(call: Callable[[], object], status: int, code: str) -> ApiError:
    with pytest.raises(ApiError) as raised:
        call()
    assert (raised.value.status, raised.value.code) == (status, code), raised.value
    return raised.value


@pytest.mark.usefixtures("unchanged")
def test_truncated_bytes_are_malformed(node: RunningNode, client: NodeClient) -> None:
    message = data_message(client, node.faucet, unique_tag("cut"))
    error = _refused(lambda: client.submit(message.raw[:-5]), 400, "malformed_message")
    assert isinstance(error, MessageRejectedError)


@pytest.mark.usefixtures("unchanged")
def test_rejected_messages_get_their_specific_code(node: RunningNode, client: NodeClient) -> None:
    network_id = client.info().network_id
    valid = data_message(client, node.faucet, unique_tag("bad"))
    wrong_network = build(
        client, node.faucet, DataPayload(b"elsewhere", b""), network_id=network_id ^ 1
    )
    cases: list[tuple[Message, int, str]] = [
        (wrong_network, 422, "wrong_network"),
        (with_bad_signature(valid), 422, "invalid_signature"),
        (with_nonce_failing_work(valid), 422, "insufficient_pow"),
    ]
    for message, status, code in cases:
        error = _refused(partial(client.submit, message), status, code)
        assert isinstance(error, MessageRejectedError)
        with pytest.raises(NotFoundError):
            client.metadata(message.id)


@pytest.mark.usefixtures("unchanged")
def test_undecodable_structures_get_their_specific_code(
    node: RunningNode, client: NodeClient
) -> None:
    network_id = client.info().network_id
    parent = client.tips(1)[0]
    unknown_kind = raw_with_payload_kind(network_id, parent, node.faucet, kind=9)
    too_many_parents = raw_with_parents(network_id, 9, node.faucet)

    _refused(lambda: client.submit(unknown_kind), 400, "unknown_payload_kind")
    _refused(lambda: client.submit(too_many_parents), 400, "invalid_parent_count")


@pytest.mark.usefixtures("unchanged")
def test_bad_request_bodies(node: RunningNode, client: NodeClient) -> None:
    error = _refused(lambda: client.submit(b"\x00" * 100_000), 413, "request_too_large")
    assert isinstance(error, RequestTooLargeError)
    with httpx.Client(base_url=node.url) as http:
        bad_hex = http.post("/api/v1/messages", json={"message": "zz"})
        not_json = http.post(
            "/api/v1/messages", content=b"{", headers={"content-type": "application/json"}
        )
        form = http.post("/api/v1/messages", data={"message": "00"})
        chunked = http.post(
            "/api/v1/messages",
            content=iter([b"\x00" * 40_000] * 3),  # no Content-Length: the stream is counted
            headers={"content-type": "application/octet-stream"},
        )

    assert (bad_hex.status_code, bad_hex.json()["error"]["code"]) == (400, "invalid_request")
    assert (not_json.status_code, not_json.json()["error"]["code"]) == (400, "invalid_request")
    assert (form.status_code, form.json()["error"]["code"]) == (415, "unsupported_media_type")
    assert (chunked.status_code, chunked.json()["error"]["code"]) == (413, "request_too_large")


def test_bad_ids_are_400_and_unknown_ids_404(client: NodeClient) -> None:
    for bad in ("zz", "00" * 31, "g" * 64):
        error = _refused(partial(client.metadata, bad), 400, "invalid_request")
        assert isinstance(error, InvalidRequestError)
    _refused(partial(client.metadata, "../../info"), 404, "not_found")  # quoted: no escape
    unknown = b"\x13" * 32
    for call in (client.get_message, client.metadata, client.children):
        error = _refused(partial(call, unknown), 404, "not_found")
        assert isinstance(error, NotFoundError)
    _refused(lambda: client.milestone(10**9), 404, "not_found")
    _refused(lambda: client.milestone(2**40), 400, "invalid_request")


def test_bad_address_checksum_is_400_everywhere(node: RunningNode, client: NodeClient) -> None:
    text = str(address_of(node.faucet))
    corrupted = text[:-1] + ("q" if text[-1] != "q" else "p")

    _refused(lambda: client.balance(corrupted), 400, "invalid_address")
    _refused(lambda: client.history(corrupted), 400, "invalid_address")
    _refused(lambda: client.find_by_address(corrupted), 400, "invalid_address")
    _refused(lambda: client.events(address=corrupted), 400, "invalid_address")
    _refused(lambda: client.balance("x" * 500), 400, "invalid_request")


def test_bad_queries_are_400_invalid_request(node: RunningNode, client: NodeClient) -> None:
    calls: list[Callable[[], object]] = [
        lambda: client.tips(0),
        lambda: client.tips(9),
        lambda: client.find_by_tag("x", limit=0),
        lambda: client.find_by_tag("x", cursor=-1),
        lambda: client.find_by_tag("x", cursor=2**63),
        lambda: client.find_by_tag("x" * 65),
        lambda: client.history(address_of(node.faucet), offset=-1),
        lambda: client.events(kinds=["message", "gossip"]),
    ]
    for call in calls:
        _refused(call, 400, "invalid_request")
    with httpx.Client(base_url=node.url) as http:
        neither = http.get("/api/v1/messages")
        both = http.get("/api/v1/messages", params={"tag": "a", "tag_hex": "61"})
        odd_hex = http.get("/api/v1/messages", params={"tag_hex": "abc"})
    for response in (neither, both, odd_hex):
        assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_request")


def test_unknown_routes_and_methods_keep_the_error_shape(node: RunningNode) -> None:
    with httpx.Client(base_url=node.url) as http:
        missing = http.get("/api/v1/nothing-here")
        wrong_method = http.delete("/api/v1/tips")

    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
