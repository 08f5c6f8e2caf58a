"""What an outsider sees of private and restricted channels: nothing it can find, link or read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from channels_support import Node, local_node, new_publisher

from plaza.channels import (
    AccessRevoked,
    ChannelMode,
    Descriptor,
    PositionUnavailable,
    Reader,
    ReaderKey,
    WrongKey,
    announce,
)
from plaza.channels.chain import ChainPoint, public_root
from plaza.crypto import Identity
from plaza.ledger.model import DataPayload, Message

SECRET = b"meter 4711: 21.5 kWh"


@pytest.fixture
def node() -> Iterator[Node]:
    with local_node() as running:
        yield running


def _messages(node: Node, tags: list[bytes]) -> list[Message]:
    found = []
    for tag in tags:
        for message_id in node.gateway.find_by_tag(tag):
            message = node.gateway.message(message_id)
            assert message is not None
            found.append(message)
    return found


@pytest.mark.parametrize("mode", [ChannelMode.PRIVATE, ChannelMode.RESTRICTED])
def test_an_outsider_cannot_find_link_or_read_the_stream(node: Node, mode: ChannelMode) -> None:
    publisher, owner, _ = new_publisher(node, mode)
    announce(node.gateway, publisher.channel, owner, Descriptor.of(name="m"), clock=node.clock)
    if mode is ChannelMode.RESTRICTED:
        publisher.grant(Identity.generate().encryption.public_key)
    for _ in range(4):
        publisher.publish(SECRET)
    channel = publisher.channel
    tags = [point.tag for point in channel.start().window(publisher.position)]
    messages = _messages(node, tags)
    assert len(messages) == publisher.position

    # What the announcement gives an outsider (the channel key) leads nowhere.
    guessed = ChainPoint(0, public_root(channel.public_key)).window(10)
    assert not _messages(node, [point.tag for point in guessed])
    # Nothing in the stream names the channel, its owner, or one shared issuer.
    public_facts = [channel.public_key.raw, channel.id, owner.public_key.raw, SECRET]
    for message in messages:
        assert not any(fact in message.raw for fact in public_facts)
    assert len({message.issuer for message in messages}) == len(messages)
    assert len({len(message.payload.data) for message in messages[-4:]}) == 1  # type: ignore[union-attr]


def test_envelope_length_hides_the_content_length_within_64_bytes(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.PRIVATE)
    ids = [publisher.publish(b"x" * size).message_id for size in (1, 20, 40)]
    sizes = set()
    for message_id in ids:
        message = node.gateway.message(message_id)
        assert message is not None
        assert isinstance(message.payload, DataPayload)
        sizes.add(len(message.payload.data))
    assert len(sizes) == 1


def test_a_reader_walks_forward_only(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.PRIVATE)
    for number in range(5):
        publisher.publish(b"%d" % number)
    key = publisher.reader_key(position=2)
    reader = Reader(node.gateway, key)
    assert [entry.position for entry in reader.read()] == [2, 3, 4]
    with pytest.raises(PositionUnavailable) as raised:
        list(Reader(node.gateway, key).read(from_position=1))
    assert (raised.value.position, raised.value.earliest) == (1, 2)


def test_holding_the_chain_without_the_epoch_key_reads_nothing(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.RESTRICTED)
    reader_identity = Identity.generate()
    key = publisher.grant(reader_identity.encryption.public_key)
    publisher.publish(SECRET)
    # The chain state alone (what finds the messages) does not open them: the keys
    # record at the start has no wrap for it, and the data does not decrypt.
    chain_only = ReaderKey(key.channel, key.mode, key.position, key.chain, key.epoch)
    with pytest.raises(AccessRevoked):
        list(Reader(node.gateway, chain_only).read())
    after_keys = chain_only.at(key.point.next(), key.epoch, None)
    with pytest.raises(WrongKey) as raised:
        list(Reader(node.gateway, after_keys).read())
    assert raised.value.position == 1


def test_a_public_reader_key_for_the_wrong_channel_finds_nothing(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.PRIVATE)
    publisher.publish(SECRET)
    outsider = Reader(node.gateway, ReaderKey.public(publisher.channel.public_key))
    assert list(outsider.read()) == []
