"""Reading and following: limits, checkpoints, and live delivery through the node's events."""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator, Sequence
from dataclasses import replace
from typing import cast

import pytest
from channels_support import Node, local_node, new_publisher

from plaza.channels import ChannelEntry, ChannelMode, MessageMissing, Publisher, Reader
from plaza.crypto import Identity
from plaza.testing.ledgers import LedgerProxy


@pytest.fixture
def node() -> Iterator[Node]:
    with local_node(follow_timeout=5.0) as running:
        yield running


def test_read_honours_limit_and_from_position_and_resumes(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.PRIVATE)
    for number in range(6):
        publisher.publish(b"%d" % number)
    reader = Reader(node.gateway, publisher.reader_key())
    assert [e.content for e in reader.read(from_position=1, limit=2)] == [b"1", b"2"]
    resumed = Reader(node.gateway, reader.checkpoint())
    assert [e.position for e in resumed.read()] == [3, 4, 5]


def test_a_restricted_reader_can_skip_ahead_through_epochs(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.RESTRICTED)
    who = Identity.generate()
    key = publisher.grant(who.encryption.public_key)
    publisher.publish(b"a")
    publisher.rotate()
    publisher.publish(b"b")
    reader = Reader(node.gateway, key, encryption_key=who.encryption)
    assert [e.content for e in reader.read(from_position=3)] == [b"b"]


def _publish_in_background(publisher: Publisher, contents: list[bytes]) -> threading.Thread:
    thread = threading.Thread(target=lambda: [publisher.publish(c) for c in contents])
    thread.start()
    return thread


@pytest.mark.parametrize("mode", list(ChannelMode))
def test_follow_delivers_what_is_published_while_following(node: Node, mode: ChannelMode) -> None:
    publisher, _, _ = new_publisher(node, mode)
    if mode is ChannelMode.RESTRICTED:
        publisher.grant(Identity.generate().encryption.public_key)
    publisher.publish(b"already there")
    contents = [b"live %d" % number for number in range(20)]
    reader = Reader(node.gateway, publisher.reader_key())
    received: list[ChannelEntry] = []
    thread: threading.Thread | None = None
    for entry in reader.follow(window=8):  # resubscribes every 4 positions
        received.append(entry)
        if thread is None:
            thread = _publish_in_background(publisher, contents)
        if len(received) == 21:
            break
    assert thread is not None
    thread.join()
    assert [e.content for e in received] == [b"already there", *contents]
    assert node.runtime.events.statistics()["subscribers"] == 0  # every feed was closed


def test_follow_reports_a_gap_once_a_later_position_arrives(node: Node) -> None:
    publisher, _, store = new_publisher(node, ChannelMode.PRIVATE)
    publisher.publish(b"zero")
    reader = Reader(node.gateway, publisher.reader_key())
    follower = cast(Generator[ChannelEntry, None, None], reader.follow(window=8))
    assert next(follower).content == b"zero"
    state = store.load(publisher.channel.id)
    assert state is not None
    lost = state.point.next()
    store.save(replace(state, position=lost.position, chain=lost.state))
    Publisher.open(node.gateway, store, publisher.channel.id, clock=node.clock).publish(b"two")
    with pytest.raises(MessageMissing) as raised:
        next(follower)
    assert raised.value.position == 1
    follower.close()


class _PublishingWhileLooking(LedgerProxy):
    """The ledger as a reader sees it while the publisher sends: right after the reader
    found its position empty, the publisher sends that position and the next."""

    def __init__(self, node: Node, publisher: Publisher) -> None:
        super().__init__(node.gateway)
        self._publisher: Publisher | None = publisher

    def find_by_tag(self, tag: bytes, *, limit: int = 100) -> Sequence[bytes]:
        found = self.inner.find_by_tag(tag, limit=limit)
        if not found and self._publisher is not None:
            publisher, self._publisher = self._publisher, None
            publisher.publish(b"first")
            publisher.publish(b"second")
        return found


def test_a_position_sent_while_the_reader_looked_further_is_read_not_missing(
    node: Node,
) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.PRIVATE)
    reader = Reader(_PublishingWhileLooking(node, publisher), publisher.reader_key())
    assert [entry.content for entry in reader.read()] == [b"first", b"second"]


def test_follow_resubscribes_when_the_catch_up_outruns_its_window(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.PRIVATE)
    for number in range(10):  # more than the window: the catch-up passes every tag it follows
        publisher.publish(b"%d" % number)
    reader = Reader(node.gateway, publisher.reader_key())
    received = []
    for entry in reader.follow(window=8):
        received.append(entry.content)
        if len(received) == 10:
            publisher.publish(b"live")
        if len(received) == 11:
            break
    assert received[-1] == b"live"
