"""Sealed key delivery and announcements: only the recipient opens, only the owner announces."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from channels_support import Node, local_node, new_publisher

from plaza.channels import (
    ChannelMode,
    Descriptor,
    InvalidChannelData,
    Reader,
    announce,
    decode_reader_key,
    deliver,
    encode_reader_key,
    find_announcements,
    open_delivery,
    open_inbox,
    parse_announcement,
)
from plaza.channels.chain import inbox_tag
from plaza.channels.inbox import encode_delivery
from plaza.crypto import Identity, seal
from plaza.ledger.model import DataPayload


@pytest.fixture
def node() -> Iterator[Node]:
    with local_node() as running:
        yield running


def test_only_the_recipient_finds_and_opens_its_key(node: Node) -> None:
    publisher, owner, _ = new_publisher(node, ChannelMode.RESTRICTED)
    buyer, other = Identity.generate(), Identity.generate()
    key = publisher.grant(buyer.encryption.public_key, max_messages=10)
    message_id = deliver(node.gateway, owner, buyer.encryption.public_key, key, clock=node.clock)
    publisher.publish(b"21.5C")

    deliveries = open_inbox(node.gateway, buyer.encryption)
    assert [d.message_id for d in deliveries] == [message_id]
    assert deliveries[0].sender == owner.public_key
    assert deliveries[0].reader_key == key
    assert open_inbox(node.gateway, other.encryption) == []
    message = node.gateway.message(message_id)
    assert message is not None
    assert message.issuer not in (owner.public_key.raw, publisher.channel.public_key.raw)
    with pytest.raises(InvalidChannelData):
        open_delivery(other.encryption, message)

    reader = Reader(node.gateway, deliveries[0].reader_key, encryption_key=buyer.encryption)
    assert [entry.content for entry in reader.read()] == [b"21.5C"]


def test_forged_and_misaddressed_deliveries_are_skipped(node: Node) -> None:
    publisher, owner, _ = new_publisher(node, ChannelMode.PRIVATE)
    buyer, intruder = Identity.generate(), Identity.generate()
    key = publisher.grant(buyer.encryption.public_key)
    tag = inbox_tag(buyer.encryption.public_key)
    body = bytearray(encode_delivery(owner, buyer.encryption.public_key, key, 1))
    body[-1] ^= 1  # the signature no longer holds
    node.spam(tag, seal(buyer.encryption.public_key, bytes(body)))
    # A delivery sealed to the buyer but addressed (and signed) for someone else.
    elsewhere = encode_delivery(intruder, intruder.encryption.public_key, key, 2)
    node.spam(tag, seal(buyer.encryption.public_key, elsewhere))
    node.spam(tag, b"not even sealed")
    assert open_inbox(node.gateway, buyer.encryption) == []


def test_reader_keys_survive_their_encoding(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.RESTRICTED)
    key = publisher.grant(
        Identity.generate().encryption.public_key, expires_at_ms=99, max_messages=4
    )
    assert decode_reader_key(encode_reader_key(key)) == key
    auditor = publisher.reader_key()
    assert decode_reader_key(encode_reader_key(auditor)) == auditor
    with pytest.raises(InvalidChannelData):
        decode_reader_key(encode_reader_key(key) + b"\x00")


def test_announcements_are_verified_and_the_latest_wins(node: Node) -> None:
    publisher, owner, _ = new_publisher(node, ChannelMode.RESTRICTED)
    channel = publisher.channel
    first = announce(node.gateway, channel, owner, Descriptor.of(name="old"), clock=node.clock)
    node.clock.advance(seconds=1)
    descriptor = Descriptor.of(name="air-42", schema="pm2.5", price="100", location="45.07,7.68")
    latest = announce(node.gateway, channel, owner, descriptor, clock=node.clock)

    # A copy whose channel signature was swapped out fails, and is skipped.
    message = node.gateway.message(latest.message_id)
    assert message is not None
    assert isinstance(message.payload, DataPayload)
    forged = message.payload.data[:-64] + bytes(64)
    node.spam(message.payload.tag, forged)

    found = find_announcements(node.gateway)
    assert found == [latest]
    assert found[0].descriptor.get("price") == "100"
    assert parse_announcement(message).owner == owner.public_key
    assert first.announced_at_ms < latest.announced_at_ms


def test_only_the_owner_can_announce(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.PUBLIC)
    with pytest.raises(ValueError, match="owner"):
        announce(
            node.gateway, publisher.channel, Identity.generate(), Descriptor(), clock=node.clock
        )


def test_descriptors_refuse_bad_fields() -> None:
    with pytest.raises(ValueError, match="sorted"):
        Descriptor((("b", "1"), ("a", "2")))
    with pytest.raises(ValueError, match="name of 1 to 64"):
        Descriptor.of({"x" * 65: "v"})
    assert Descriptor.of(name="n", schema="").as_dict() == {"name": "n"}
