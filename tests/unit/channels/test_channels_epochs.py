"""Key epochs: revocation, time and count bounds, auditors, and their limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from channels_support import Node, local_node, new_publisher

from plaza.channels import (
    MAX_READERS,
    AccessExpired,
    AccessRevoked,
    ChannelMode,
    ModeMismatch,
    Publisher,
    Reader,
    ReaderKey,
    TooManyReaders,
    UnknownReader,
    WrongKey,
)
from plaza.crypto import EncryptionKey, Identity


@pytest.fixture
def node() -> Iterator[Node]:
    with local_node() as running:
        yield running


def _reader(node: Node, publisher: Publisher, who: Identity, **bounds: int) -> Reader:
    key = publisher.grant(who.encryption.public_key, **bounds)
    return Reader(node.gateway, key, encryption_key=who.encryption)


def _contents(reader: Reader) -> list[bytes]:
    return [entry.content for entry in reader.read()]


def test_a_revoked_reader_cannot_read_the_next_epoch(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.RESTRICTED)
    alice, bob = Identity.generate(), Identity.generate()
    alice_reader = _reader(node, publisher, alice)
    bob_reader = _reader(node, publisher, bob)
    publisher.publish(b"before")
    assert _contents(alice_reader) == _contents(bob_reader) == [b"before"]

    revoked_at = publisher.revoke(bob.encryption.public_key)
    publisher.publish(b"after")

    assert _contents(alice_reader) == [b"after"]
    with pytest.raises(AccessRevoked) as raised:
        _contents(bob_reader)
    assert (raised.value.position, raised.value.epoch) == (revoked_at.position, revoked_at.epoch)
    # Bob's old epoch key, even with the chain state past the keys record, opens nothing.
    old = bob_reader.checkpoint()
    past_keys = old.at(old.point.next(), old.epoch, old.epoch_key)
    with pytest.raises(WrongKey):
        _contents(Reader(node.gateway, past_keys, encryption_key=bob.encryption))


def test_a_time_bounded_reader_loses_access_at_expiry(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.RESTRICTED)
    reader = _reader(
        node, publisher, Identity.generate(), expires_at_ms=node.clock.now_ms() + 60_000
    )
    publisher.publish(b"one")
    node.clock.advance(seconds=59)
    publisher.publish(b"two")
    assert _contents(reader) == [b"one", b"two"]

    node.clock.advance(seconds=1)
    published = publisher.publish(b"three")

    assert published.epoch == 2  # the publisher rotated first, by itself
    assert publisher.statistics()["readers"] == 0
    with pytest.raises(AccessExpired):
        _contents(reader)


def test_a_count_bounded_reader_reads_exactly_its_allowance(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.RESTRICTED)
    publisher.publish(b"earlier")  # published before the grant: never this reader's
    reader = _reader(node, publisher, Identity.generate(), max_messages=3)
    for number in range(5):
        publisher.publish(b"%d" % number)
    with pytest.raises(AccessExpired):
        list(iter_until_error(reader))
    assert reader.statistics()["read"] == 3


def iter_until_error(reader: Reader) -> Iterator[bytes]:
    for entry in reader.read():
        yield entry.content


def test_other_readers_are_carried_into_each_new_epoch(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.RESTRICTED)
    stays = _reader(node, publisher, Identity.generate())
    _reader(node, publisher, Identity.generate(), max_messages=1)
    publisher.publish(b"a")
    publisher.publish(b"b")  # the second reader's allowance is used up: rotation first
    publisher.rotate()
    publisher.publish(b"c")
    assert _contents(stays) == [b"a", b"b", b"c"]
    assert stays.statistics()["epochs"] == 3


def test_an_auditor_key_reads_every_epoch_from_any_position(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.RESTRICTED)
    publisher.publish(b"epoch 0")
    reader_identity = Identity.generate()
    publisher.grant(reader_identity.encryption.public_key)
    publisher.publish(b"epoch 1")
    publisher.revoke(reader_identity.encryption.public_key)
    publisher.publish(b"epoch 2")
    everything = Reader(node.gateway, publisher.reader_key())
    assert _contents(everything) == [b"epoch 0", b"epoch 1", b"epoch 2"]
    from_middle = Reader(node.gateway, publisher.reader_key(position=2))
    assert _contents(from_middle) == [b"epoch 1", b"epoch 2"]


def test_grants_that_make_no_sense_for_the_mode_are_refused(node: Node) -> None:
    reader = EncryptionKey.generate().public_key
    public, _, _ = new_publisher(node, ChannelMode.PUBLIC)
    private, _, _ = new_publisher(node, ChannelMode.PRIVATE)
    restricted, _, _ = new_publisher(node, ChannelMode.RESTRICTED)
    with pytest.raises(ModeMismatch):
        public.grant(reader)
    with pytest.raises(ModeMismatch):
        private.grant(reader, max_messages=3)
    with pytest.raises(ModeMismatch):
        private.revoke(reader)
    with pytest.raises(ModeMismatch):
        public.rotate()
    with pytest.raises(UnknownReader):
        restricted.revoke(reader)
    assert isinstance(private.grant(reader), ReaderKey)


def test_a_private_grant_starts_at_the_next_position(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.PRIVATE)
    publisher.publish(b"old")
    key = publisher.grant(EncryptionKey.generate().public_key)
    publisher.publish(b"new")
    assert _contents(Reader(node.gateway, key)) == [b"new"]


def test_an_epoch_wraps_for_at_most_max_readers(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.RESTRICTED)
    for _ in range(MAX_READERS):
        publisher.grant(EncryptionKey.generate().public_key)
    position = publisher.position
    with pytest.raises(TooManyReaders):
        publisher.grant(EncryptionKey.generate().public_key)
    assert publisher.position == position  # nothing was written
