"""Channel messages in carriers: queued until a flush sends them, many to one ledger message,
each then found and read like a message of its own; a failed flush keeps them queued."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from channels_support import FlakyGateway, Node, local_node

from plaza.channels import (
    MAX_CONTENT_SIZE,
    CarrierWriter,
    Channel,
    ChannelMode,
    LedgerUnavailable,
    MemoryCursorStore,
    Publisher,
    Reader,
)
from plaza.crypto import Identity, SigningKey
from plaza.ledger.model import CARRIED_PARENT, DataPayload, Output, TransferPayload

CHANNELS = 3


@pytest.fixture
def node() -> Iterator[Node]:
    with local_node() as running:
        yield running


def _publishers(writer: CarrierWriter, node: Node) -> list[Publisher]:
    channels = [
        Channel.create(ChannelMode.RESTRICTED, Identity.generate()) for _ in range(CHANNELS)
    ]
    store = MemoryCursorStore()
    return [Publisher.create(writer, store, channel, clock=node.clock) for channel in channels]


def _read(node: Node, publisher: Publisher) -> list[bytes]:
    return [entry.content for entry in Reader(node.gateway, publisher.reader_key(0)).read()]


def test_messages_of_many_channels_go_in_one_carrier_and_each_is_read_as_its_own(
    node: Node,
) -> None:
    counting = FlakyGateway(node.gateway, fail_on=0)
    writer = CarrierWriter(counting)
    publishers = _publishers(writer, node)
    published = [p.publish(f"reading {n}".encode()) for n, p in enumerate(publishers)]
    assert (writer.pending, counting.submits) == (CHANNELS, 0), "queued, nothing sent"
    assert [_read(node, p) for p in publishers] == [[]] * CHANNELS

    assert writer.flush() == 1
    assert (writer.pending, counting.submits) == (0, 1), "one ledger message for all"
    assert [_read(node, p) for p in publishers] == [[f"reading {n}".encode()] for n in range(3)]
    for message_id in (entry.message_id for entry in published):
        carried = node.gateway.message(message_id)
        assert carried is not None
        assert carried.parents == (CARRIED_PARENT,)


def test_a_flush_that_failed_keeps_the_queue_and_the_next_sends_it_once(node: Node) -> None:
    failing = FlakyGateway(node.gateway, fail_on=1)
    writer = CarrierWriter(failing)
    publishers = _publishers(writer, node)
    for publisher in publishers:
        publisher.publish(b"21.5C")
    with pytest.raises(LedgerUnavailable):
        writer.flush()
    assert writer.pending == CHANNELS
    publishers[0].publish(b"22.0C")
    assert writer.flush() == 1
    assert writer.pending == 0
    assert _read(node, publishers[0]) == [b"21.5C", b"22.0C"]
    assert [_read(node, p) for p in publishers[1:]] == [[b"21.5C"]] * (CHANNELS - 1)


def test_a_message_sent_again_is_queued_once(node: Node) -> None:
    writer = CarrierWriter(node.gateway)
    carried = writer.compose(SigningKey.generate(), _data(b"once"))
    assert writer.submit(carried.raw) == writer.submit(carried.raw) == carried.id
    assert writer.pending == 1


def test_data_too_big_to_share_a_carrier_and_other_payloads_go_alone_at_once(
    node: Node,
) -> None:
    counting = FlakyGateway(node.gateway, fail_on=0)
    writer = CarrierWriter(counting)
    [publisher] = _publishers(writer, node)[:1]
    publisher.publish(bytes(MAX_CONTENT_SIZE))
    assert (writer.pending, counting.submits) == (0, 1)
    assert _read(node, publisher) == [bytes(MAX_CONTENT_SIZE)]
    payer = SigningKey.generate()
    transfer = writer.compose(payer, TransferPayload((Output(bytes(32), 1),)))
    assert transfer.parents != (CARRIED_PARENT,), "work and parents of its own"


def test_a_full_carrier_is_followed_by_another(node: Node) -> None:
    counting = FlakyGateway(node.gateway, fail_on=0)
    writer = CarrierWriter(counting)
    for _ in range(12):  # twelve of ~4.2 kB: more than one 32 KiB carrier holds
        writer.submit(writer.compose(SigningKey.generate(), _data(bytes(4000))).raw)
    assert writer.flush() == 2
    assert counting.submits == 2
    assert len(node.gateway.find_by_tag(TAG)) == 12


TAG = b"plaza-carrier-test"


def _data(data: bytes) -> DataPayload:
    return DataPayload(TAG, data)
