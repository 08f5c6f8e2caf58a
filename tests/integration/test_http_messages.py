"""Submitting and reading messages over HTTP, through :class:`NodeClient`."""

from __future__ import annotations

import httpx
import pytest
from node_helpers import DIFFICULTY, address_of, build, data_message, unique_tag, unsolved
from node_server import RunningNode

from plaza.clients.node import MessageRejectedError, NodeClient
from plaza.crypto import SigningKey
from plaza.ledger.model import ConfirmationState, DataPayload
from plaza.ledger.pow import pow_base, pow_score


def test_data_message_is_stored_found_by_tag_and_confirmed(
    node: RunningNode, client: NodeClient
) -> None:
    tag = unique_tag("data")
    message = data_message(client, node.faucet, tag, b"21C")

    result = client.submit(message)

    assert (result.id, result.status) == (message.id, "stored")
    assert client.get_message(message.id) == message
    assert client.find_by_tag(tag).ids == (message.id,)
    assert client.find_by_tag(tag.encode()).ids == (message.id,)
    metadata = client.wait_for_confirmation(message.id, timeout=10)
    assert metadata.state is ConfirmationState.CONFIRMED
    assert client.milestone(metadata.milestone_index or 0).index == metadata.milestone_index


def test_resubmitting_a_known_message_answers_200_known(
    node: RunningNode, client: NodeClient
) -> None:
    message = data_message(client, node.faucet, unique_tag("again"))
    client.submit(message)

    with httpx.Client(base_url=node.url) as http:
        response = http.post(
            "/api/v1/messages",
            content=message.raw,
            headers={"content-type": "application/octet-stream"},
        )

    assert response.status_code == 200
    assert response.json() == {"id": message.id.hex(), "status": "known"}


def test_json_body_form_is_accepted(node: RunningNode, client: NodeClient) -> None:
    message = data_message(client, node.faucet, unique_tag("json"))

    with httpx.Client(base_url=node.url) as http:
        response = http.post("/api/v1/messages", json={"message": message.raw.hex()})

    assert response.status_code == 201
    assert response.json() == {"id": message.id.hex(), "status": "stored"}


def test_message_json_view_describes_payload_and_metadata(
    node: RunningNode, client: NodeClient
) -> None:
    tag = unique_tag("view")
    message = data_message(client, node.faucet, tag, b"\x00\xff")
    client.submit(message)

    with httpx.Client(base_url=node.url) as http:
        view = http.get(f"/api/v1/messages/{message.id.hex()}").json()
        raw = http.get(f"/api/v1/messages/{message.id.hex()}/raw")

    assert view["id"] == message.id.hex()
    assert view["parents"] == [parent.hex() for parent in message.parents]
    assert view["issuer_address"] == str(address_of(node.faucet))
    assert view["payload"] == {
        "kind": "data",
        "tag": tag.encode().hex(),
        "tag_text": tag,
        "data": "00ff",
    }
    assert view["metadata"]["state"] in {"pending", "confirmed"}
    assert raw.headers["content-type"] == "application/octet-stream"
    assert raw.content == message.raw


def test_children_lists_approvers(node: RunningNode, client: NodeClient) -> None:
    parent = data_message(client, node.faucet, unique_tag("parent"))
    client.submit(parent)
    child = build(client, node.faucet, DataPayload(b"child", b""), parents=[parent.id])
    client.submit(child)

    children = client.children(parent.id)
    assert child.id in children  # a milestone may approve the parent too, racing the test
    assert all(parent.id in client.get_message(c).parents for c in children)
    assert client.children(client.info().genesis_id)  # the genesis has approvers, no record


def test_message_with_a_missing_parent_is_held(node: RunningNode, client: NodeClient) -> None:
    message = build(client, node.faucet, DataPayload(b"orphan", b""), parents=[b"\x42" * 32])

    result = client.submit(message)

    assert result.status == "held"
    assert client.metadata(message.id).state is ConfirmationState.HELD


def test_pow_true_makes_the_node_do_the_work(node: RunningNode, client: NodeClient) -> None:
    message = unsolved(client, node.faucet, unique_tag("pow"))
    with pytest.raises(MessageRejectedError) as refused:
        client.submit(message)
    assert (refused.value.status, refused.value.code) == (422, "insufficient_pow")

    result = client.submit(message, pow=True)

    assert result.status == "stored"
    assert result.id != message.id  # the node chose a new nonce, so a new id
    stored = client.get_message(result.id)
    assert stored.essence == message.essence
    assert stored.signature == message.signature
    assert pow_score(pow_base(stored.raw[:-8]), stored.nonce) >= DIFFICULTY


def test_compose_and_submit_with_local_or_node_work(node: RunningNode, client: NodeClient) -> None:
    signer = SigningKey.generate()
    local = client.compose_and_submit(signer, DataPayload(b"local-work", b""))
    remote = client.compose_and_submit(signer, DataPayload(b"node-work", b""), pow=True)

    assert local.status == remote.status == "stored"
    assert client.get_message(remote.id).payload == DataPayload(b"node-work", b"")


def test_find_by_tag_pages_newest_first(node: RunningNode, client: NodeClient) -> None:
    tag = unique_tag("page")
    ids = [
        client.compose_and_submit(node.faucet, DataPayload(tag.encode(), bytes([i]))).id
        for i in range(3)
    ]

    first = client.find_by_tag(tag, limit=2)
    rest = client.find_by_tag(tag, limit=2, cursor=first.next_cursor)

    assert first.ids == (ids[2], ids[1])
    assert first.next_cursor is not None
    assert rest.ids == (ids[0],)
    assert rest.next_cursor is None
