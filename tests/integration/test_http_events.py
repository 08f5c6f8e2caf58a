"""The Server-Sent Events stream: filters, event shapes, and closing on disconnect."""

from __future__ import annotations

import time

from node_helpers import address_of, unique_tag
from node_server import RunningNode

from plaza.clients.node import ClientEvent, EventStreamReader, NodeClient
from plaza.crypto import SigningKey
from plaza.ledger.model import DataPayload, Output, TransferPayload

READ_TIMEOUT_S = 10.0


def _next_events(stream: EventStreamReader, count: int) -> list[ClientEvent]:
    return [next(stream) for _ in range(count)]


def test_tag_filter_delivers_message_then_confirmed(node: RunningNode, client: NodeClient) -> None:
    tag = unique_tag("evt")
    with client.events(
        kinds=["message", "confirmed"], tag=tag, read_timeout=READ_TIMEOUT_S
    ) as stream:
        client.compose_and_submit(node.faucet, DataPayload(unique_tag("other").encode(), b""))
        ours = client.compose_and_submit(node.faucet, DataPayload(tag.encode(), b"x"))

        attached, confirmed = _next_events(stream, 2)

    assert (attached.kind, attached.message_id) == ("message", ours.id)
    assert attached.data["kind"] == "data"
    assert attached.data["tag_text"] == tag
    assert attached.data["issuer"] == node.faucet.public_key.raw.hex()
    assert attached.data["addresses"] == []
    assert (confirmed.kind, confirmed.message_id) == ("confirmed", ours.id)
    assert confirmed.data["state"] == "confirmed"
    assert confirmed.data["conflict"] == "none"
    assert confirmed.data["milestone_index"] >= 1


def test_several_tags_are_followed_at_once(node: RunningNode, client: NodeClient) -> None:
    first, second = unique_tag("one").encode(), unique_tag("two").encode()
    with client.events(
        kinds=["message"], tags=[first, second], read_timeout=READ_TIMEOUT_S
    ) as stream:
        client.compose_and_submit(node.faucet, DataPayload(b"neither", b""))
        a = client.compose_and_submit(node.faucet, DataPayload(second, b""))
        b = client.compose_and_submit(node.faucet, DataPayload(first, b""))
        seen = [event.message_id for event in _next_events(stream, 2)]
    assert seen == [a.id, b.id]


def test_address_filter_delivers_transfers_touching_it(
    node: RunningNode, client: NodeClient
) -> None:
    payee = SigningKey.generate()
    payee_address = address_of(payee)
    with client.events(address=payee_address, read_timeout=READ_TIMEOUT_S) as stream:
        client.compose_and_submit(node.faucet, DataPayload(b"not-a-transfer", b""))
        payload = TransferPayload((Output(payee_address.raw, 5),))
        transfer = client.compose_and_submit(node.faucet, payload)

        attached, confirmed = _next_events(stream, 2)

    assert (attached.kind, attached.message_id) == ("message", transfer.id)
    assert attached.data["kind"] == "transfer"
    assert str(payee_address) in attached.data["addresses"]
    assert str(address_of(node.faucet)) in attached.data["addresses"]
    assert (confirmed.kind, confirmed.message_id) == ("confirmed", transfer.id)
    assert str(payee_address) in confirmed.data["addresses"]


def test_milestone_events_carry_milestone_fields(client: NodeClient) -> None:
    with client.events(kinds=["milestone"], read_timeout=READ_TIMEOUT_S) as stream:
        first, second = _next_events(stream, 2)

    assert first.kind == second.kind == "milestone"
    assert second.data["index"] == first.data["index"] + 1
    assert set(first.data) == {
        "index",
        "message_id",
        "timestamp_ms",
        "inclusion_root",
        "state_root",
        "confirmed_count",
    }
    assert client.milestone(first.data["index"]).message_id == first.message_id


def _subscribers(client: NodeClient) -> int:
    return client.info().statistics["subscribers"]


def test_disconnecting_closes_the_subscription(client: NodeClient) -> None:
    baseline = _subscribers(client)
    stream = client.events(kinds=["milestone"], read_timeout=READ_TIMEOUT_S)
    assert _subscribers(client) == baseline + 1
    next(stream)

    stream.close()

    deadline = time.monotonic() + 5
    while _subscribers(client) != baseline and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _subscribers(client) == baseline
