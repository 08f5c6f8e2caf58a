"""A publisher process killed with SIGKILL, again and again, never reuses or skips a position."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from node_processes import NodeProcess

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.bootstrap import SystemClock
from plaza.channels import Channel, ChannelMode, Publisher, Reader
from plaza.channels.cursors import SqliteCursorStore
from plaza.clients.node import NodeClient
from plaza.crypto import Identity

TOTAL = 100
PUBLISH_UNTIL_DONE = """
import sys
from plaza.adapters.ledger.remote import RemoteLedger
from plaza.bootstrap import SystemClock
from plaza.channels import Publisher
from plaza.channels.cursors import SqliteCursorStore
from plaza.clients.node import NodeClient

url, path, channel_id, total = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
store = SqliteCursorStore(path)
with NodeClient(url) as client:
    clock = SystemClock()
    gateway = RemoteLedger(client, clock=clock)
    publisher = Publisher.open(gateway, store, bytes.fromhex(channel_id), clock=clock)
    number = publisher.state.data_count  # the in-flight one, if any, was delivered on open
    while number < total:
        published = publisher.publish(b"%d" % number)
        print(published.position, flush=True)
        number += 1
"""


def _run_publisher(node: NodeProcess, store: Path, channel_id: bytes) -> subprocess.Popen[str]:
    command = [sys.executable, "-c", PUBLISH_UNTIL_DONE, node.url, str(store), channel_id.hex()]
    return subprocess.Popen([*command, str(TOTAL)], stdout=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_killing_the_publisher_at_random_moments(node_process: NodeProcess, tmp_path: Path) -> None:
    node_process.start()
    clock, path = SystemClock(), tmp_path / "cursors.sqlite3"
    channel = Channel.create(ChannelMode.RESTRICTED, Identity.generate())
    with NodeClient(node_process.url) as client:
        gateway = RemoteLedger(client, clock=clock)
        store = SqliteCursorStore(path)
        try:
            Publisher.create(gateway, store, channel, clock=clock).grant(
                Identity.generate().encryption.public_key
            )
        finally:
            store.close()
        rng = random.Random(7)
        for _ in range(4):
            process = _run_publisher(node_process, path, channel.id)
            assert process.stdout is not None
            process.stdout.readline()  # it is publishing
            time.sleep(rng.uniform(0.0, 0.1))
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=10)
        finisher = _run_publisher(node_process, path, channel.id)
        remaining, _ = finisher.communicate(timeout=60)
        assert finisher.returncode == 0
        assert remaining.split(), "every kill came too late to test anything"

        store = SqliteCursorStore(path)
        try:
            state = store.load(channel.id)
            assert state is not None
            auditor = Publisher(gateway, store, state, clock=clock).reader_key()
        finally:
            store.close()
        entries = list(Reader(gateway, auditor).read())
        assert [e.content for e in entries] == [b"%d" % n for n in range(TOTAL)]
        positions = [e.position for e in entries]
        assert positions == list(range(1, TOTAL + 1))  # position 0 holds the grant's keys record
        for point in channel.start().window(TOTAL + 1):
            assert len(gateway.find_by_tag(point.tag)) == 1  # no position used twice
