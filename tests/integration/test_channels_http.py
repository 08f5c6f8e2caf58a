"""Channels over a real node's HTTP API and event stream: the seeds' purchase, end to end."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from node_server import RunningNode

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.bench._stats import percentile
from plaza.bootstrap import SystemClock
from plaza.channels import (
    AccessRevoked,
    Channel,
    ChannelMode,
    Descriptor,
    MemoryCursorStore,
    Publisher,
    Reader,
    announce,
    deliver,
    find_announcements,
    open_inbox,
)
from plaza.channels.cursors import SqliteCursorStore
from plaza.clients.node import NodeClient
from plaza.crypto import Identity

CLOCK = SystemClock()


@pytest.fixture
def gateway(client: NodeClient) -> RemoteLedger:
    return RemoteLedger(client, clock=CLOCK, follow_timeout=20.0)


@pytest.fixture
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteCursorStore]:
    opened = SqliteCursorStore(tmp_path_factory.mktemp("cursors") / "cursors.sqlite3")
    yield opened
    opened.close()


def test_a_sensor_sells_its_stream_and_revokes_it(
    gateway: RemoteLedger, store: SqliteCursorStore
) -> None:
    sensor, buyer = Identity.generate(), Identity.generate()
    channel = Channel.create(ChannelMode.RESTRICTED, sensor)
    publisher = Publisher.create(gateway, store, channel, clock=CLOCK)
    directory = f"pegasus-{channel.id.hex()[:8]}".encode()
    descriptor = Descriptor.of(name="air-42", price="1000", location="45.07,7.68")
    announce(gateway, channel, sensor, descriptor, clock=CLOCK, directory=directory)
    publisher.publish(b"before the purchase")

    # The buyer finds the sensor, pays (elsewhere), and gets its key sealed to it.
    found = find_announcements(gateway, directory=directory)
    assert [a.channel for a in found] == [channel.public_key]
    key = publisher.grant(buyer.encryption.public_key)
    deliver(gateway, sensor, buyer.encryption.public_key, key, clock=CLOCK)
    for number in range(3):
        publisher.publish(b"pm2.5=%d" % number)

    delivery = open_inbox(gateway, buyer.encryption)[0]
    assert delivery.sender == found[0].owner
    reader = Reader(gateway, delivery.reader_key, encryption_key=buyer.encryption)
    assert [e.content for e in reader.read()] == [b"pm2.5=0", b"pm2.5=1", b"pm2.5=2"]

    publisher.revoke(buyer.encryption.public_key)
    publisher.publish(b"after revocation")
    with pytest.raises(AccessRevoked):
        list(reader.read())
    reopened = Publisher.open(gateway, store, channel.id, clock=CLOCK)
    assert reopened.position == publisher.position


def test_a_follower_gets_each_message_within_milliseconds(
    node: RunningNode, gateway: RemoteLedger
) -> None:
    channel = Channel.create(ChannelMode.PRIVATE, Identity.generate())
    publisher = Publisher.create(gateway, MemoryCursorStore(), channel, clock=CLOCK)
    sent: dict[int, float] = {}
    latencies: list[float] = []
    ready = threading.Event()

    def follow() -> None:
        with node.client() as reading:
            remote = RemoteLedger(reading, clock=CLOCK, follow_timeout=20.0)
            reader = Reader(remote, publisher.reader_key())
            for entry in reader.follow(window=16):
                if entry.position in sent:
                    latencies.append(time.perf_counter() - sent[entry.position])
                ready.set()
                if len(latencies) == 40:
                    return

    thread = threading.Thread(target=follow)
    thread.start()
    publisher.publish(b"warm-up")
    assert ready.wait(timeout=10)
    for number in range(40):
        sent[publisher.position] = time.perf_counter()
        publisher.publish(b"reading %d" % number)
        time.sleep(0.01)
    thread.join(timeout=20)
    assert not thread.is_alive()
    assert len(latencies) == 40
    assert percentile(latencies, 0.5) < 0.1
    assert max(latencies) < 1.0
