"""Spam, tampering, wrong keys and gaps: detected, skipped or reported, never believed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from channels_support import Node, local_node, new_publisher

from plaza.channels import (
    Channel,
    ChannelEntry,
    ChannelMode,
    ForeignMessage,
    MessageMissing,
    Publisher,
    Reader,
    ReaderKey,
    WrongKey,
)
from plaza.channels.envelope import RecordKind, Slot, associated_data, seal_record, sign_record
from plaza.crypto import Identity, SigningKey
from plaza.ledger.model import DataPayload


@pytest.fixture
def node() -> Iterator[Node]:
    with local_node() as running:
        yield running


def _forged(channel: Channel, position: int, content: bytes, signer: SigningKey) -> bytes:
    """What an insider holding the chain can make: right tag, issuer and key; wrong signer."""
    point = channel.start().advance(position)
    slot = Slot(channel.id, position, 0)
    record = sign_record(signer, slot, RecordKind.DATA, 0, content)
    return seal_record(record, point.chain_key, associated_data(slot))


def test_an_outsiders_messages_at_a_public_address_are_skipped(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.PUBLIC)
    tag = publisher.channel.start().tag
    node.spam(tag, b"buy cheap kWh")  # before the owner's message
    publisher.publish(b"real")
    node.spam(tag, b"more spam")
    reader = Reader(node.gateway, ReaderKey.public(publisher.channel.public_key))
    assert [entry.content for entry in reader.read()] == [b"real"]
    assert reader.statistics()["foreign_skipped"] == 1  # the later one is never even fetched


def test_an_insider_cannot_forge_or_front_run_a_private_channel(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.PRIVATE)
    channel = publisher.channel
    publisher.publish(b"zero")
    # An insider knows every later chain state: it files a forgery at position 1 first.
    point = channel.start().advance(1)
    forgery = _forged(channel, 1, b"forged", SigningKey.generate())
    node.spam(point.tag, forgery, signer=point.issuer())
    publisher.publish(b"one")
    reader = Reader(node.gateway, publisher.reader_key())
    assert [entry.content for entry in reader.read()] == [b"zero", b"one"]
    assert reader.statistics()["foreign_skipped"] == 1


def test_a_tampered_copy_is_detected_and_a_lone_one_reported(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.PRIVATE)
    published = publisher.publish(b"original")
    message = node.gateway.message(published.message_id)
    assert message is not None
    assert isinstance(message.payload, DataPayload)
    flipped = bytearray(message.payload.data)
    flipped[40] ^= 1
    point = publisher.channel.start()
    node.spam(point.tag, bytes(flipped), signer=point.issuer())
    reader = Reader(node.gateway, publisher.reader_key())
    assert [entry.content for entry in reader.read()] == [b"original"]

    copies = [node.gateway.message(i) for i in node.gateway.find_by_tag(point.tag)]
    tampered = next(m for m in copies if m is not None and m.id != published.message_id)
    with pytest.raises(WrongKey):
        Reader(node.gateway, publisher.reader_key()).accept(tampered)


def test_a_message_from_an_unrelated_key_is_a_foreign_message(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.PUBLIC)
    node.spam(publisher.channel.start().tag, b"spam")
    spam = node.gateway.message(node.gateway.find_by_tag(publisher.channel.start().tag)[0])
    assert spam is not None
    reader = Reader(node.gateway, ReaderKey.public(publisher.channel.public_key))
    with pytest.raises(ForeignMessage) as raised:
        reader.accept(spam)
    assert raised.value.position == 0
    assert reader.position == 0


def test_a_wrong_epoch_key_is_a_clear_error(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.RESTRICTED)
    key = publisher.grant(Identity.generate().encryption.public_key)
    publisher.publish(b"data")
    wrong = replace(key, epoch_key=bytes(32))
    with pytest.raises(WrongKey) as raised:
        list(Reader(node.gateway, wrong).read())
    assert raised.value.position == 1


def test_a_gap_is_reported_not_mistaken_for_the_end(node: Node) -> None:
    publisher, _, store = new_publisher(node, ChannelMode.PRIVATE)
    publisher.publish(b"zero")
    state = store.load(publisher.channel.id)
    assert state is not None
    following = state.point.next()  # lose position 1, as a broken publisher would
    store.save(replace(state, position=following.position, chain=following.state))
    reopened = Publisher.open(node.gateway, store, publisher.channel.id, clock=node.clock)
    reopened.publish(b"two")
    reader = Reader(node.gateway, publisher.reader_key())
    entries: list[ChannelEntry] = []
    with pytest.raises(MessageMissing) as raised:
        entries.extend(reader.read())
    assert raised.value.position == 1
    assert [entry.content for entry in entries] == [b"zero"]


def test_the_end_of_a_channel_is_not_a_gap(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.PRIVATE)
    publisher.publish(b"only")
    node.spam(publisher.channel.start().advance(3).tag, b"spam far ahead")
    reader = Reader(node.gateway, publisher.reader_key())
    assert [entry.content for entry in reader.read()] == [b"only"]
    assert list(reader.read()) == []
