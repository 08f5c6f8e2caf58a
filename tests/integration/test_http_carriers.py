"""Carriers over real HTTP: one ledger message carrying several data messages, each then
read by id and tag, followed live, confirmed with its carrier, and shown by the explorer."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from node_helpers import build, now_ms, unique_tag
from node_server import RunningNode
from web_server import RunningWeb, serve_web_app

from plaza.clients.node import MessageRejectedError, NodeClient
from plaza.crypto import SigningKey
from plaza.ledger.compose import compose_carried
from plaza.ledger.model import CarrierPayload, ConfirmationState, DataPayload, Message

READ_TIMEOUT_S = 10.0


def carried(client: NodeClient, tag: str, data: bytes) -> Message:
    """Signed by a one-time key, as a twin's publisher signs, with no work of its own."""
    return compose_carried(
        SigningKey.generate(),
        network_id=client.info().network_id,
        payload=DataPayload(tag.encode(), data),
        issued_at_ms=now_ms(),
    )


@pytest.fixture(scope="module")
def sent(node: RunningNode) -> Iterator[tuple[Message, Message, Message]]:
    """A confirmed carrier of two messages under two fresh tags: (carrier, first, second)."""
    with node.client() as client:
        first = carried(client, unique_tag("twin"), b"21.5 C")
        second = carried(client, unique_tag("twin"), b"<b>22 C</b>")
        carrier = build(client, node.faucet, CarrierPayload((first, second)))
        with client.events(kinds=["message"], tag=first.tag, read_timeout=READ_TIMEOUT_S) as stream:
            assert client.submit(carrier).status == "stored"
            followed = next(stream)
        assert followed.message_id == first.id
        assert followed.data["kind"] == "data"
        yield carrier, first, second


def test_carried_messages_are_read_by_id_and_tag_and_confirm_with_their_carrier(
    node: RunningNode, client: NodeClient, sent: tuple[Message, Message, Message]
) -> None:
    carrier, first, second = sent
    assert client.get_message(first.id) == first
    assert client.get_message(second.id).payload == second.payload
    assert client.find_by_tag(first.tag).ids == (first.id,)
    assert client.find_by_tag(second.tag).ids == (second.id,)

    metadata = client.wait_for_confirmation(second.id, timeout=10)
    assert metadata.state is ConfirmationState.CONFIRMED
    assert metadata.carrier == carrier.id
    assert metadata.milestone_index == client.metadata(carrier.id).milestone_index
    with httpx.Client(base_url=node.url) as http:
        view = http.get(f"/api/v1/messages/{carrier.id.hex()}").json()
        meta = http.get(f"/api/v1/messages/{first.id.hex()}/metadata").json()
    assert view["payload"]["kind"] == "carrier"
    assert [m["id"] for m in view["payload"]["messages"]] == [first.id.hex(), second.id.hex()]
    assert view["metadata"]["carrier"] is None
    assert meta["carrier"] == carrier.id.hex()
    assert meta["state"] == "confirmed"


def test_a_carried_message_submitted_alone_is_refused(
    client: NodeClient, sent: tuple[Message, Message, Message]
) -> None:
    _, first, _ = sent
    fresh = carried(client, unique_tag("alone"), b"")
    for message in (fresh, first):  # unknown, or already filed: refused either way
        with pytest.raises(MessageRejectedError) as refused:
            client.submit(message)
        assert (refused.value.status, refused.value.code) == (422, "carried_alone")
    with pytest.raises(MessageRejectedError, match="carried_alone"):
        client.submit(fresh, pow=True)  # nor does the node do its work


@pytest.fixture(scope="module")
def web(node: RunningNode) -> Iterator[RunningWeb]:
    with node.client() as client:
        genesis = client.milestone(1).message_id.hex()
    with serve_web_app(node.url, genesis) as running:
        yield running


def test_the_explorer_shows_a_carrier_and_each_carried_message(
    web: RunningWeb, sent: tuple[Message, Message, Message]
) -> None:
    carrier, first, second = sent
    with httpx.Client(base_url=web.url, timeout=10) as http:
        page = http.get(f"/explorer/messages/{carrier.id.hex()}")
        carried_page = http.get(f"/explorer/messages/{second.id.hex()}")
    assert page.status_code == 200
    assert "Carried messages (2)" in page.text
    for message in (first, second):
        assert f'href="/explorer/messages/{message.id.hex()}"' in page.text
        assert f'href="/explorer/tags?tag={message.tag.decode()}"' in page.text
    assert carried_page.status_code == 200
    assert "Carried in" in carried_page.text
    assert f'href="/explorer/messages/{carrier.id.hex()}"' in carried_page.text
    assert "&lt;b&gt;22 C&lt;/b&gt;" in carried_page.text
    assert "00000000000000000000" not in carried_page.text  # no link to the zero parent
    assert "messages approve its carrier, never it" in carried_page.text  # not "none yet"
