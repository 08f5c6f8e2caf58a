"""The idle-subscriber figure starts timing ingest only once the node has answered every
stream request of the burst, refusals included, and it never reads a stream to know it."""

from __future__ import annotations

import socket
import threading
import time

from plaza.bench.starvation import _answered, _settled_subscribers
from plaza.crypto import Address
from plaza.ledger.genesis import Genesis
from plaza.node import NodeConfig, NodeRuntime
from plaza.storage import MemoryTangleStore
from plaza.testing import FakeClock
from plaza.testing.builders import key_from_number

REFUSAL = b"HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\n\r\n"


def _runtime() -> NodeRuntime:
    clock = FakeClock()
    owner = Address.from_public_key(key_from_number(1).public_key.raw).raw
    genesis = Genesis.create(
        "settle",
        timestamp_ms=clock.now_ms(),
        allocations={owner: 10},
        coordinator_keys=(key_from_number(2).public_key.raw,),
    )
    config = NodeConfig(pow_difficulty=0, coordinator=False)
    return NodeRuntime(store=MemoryTangleStore(), genesis=genesis, config=config, clock=clock)


def test_settling_waits_for_the_last_refusal_without_reading_a_stream() -> None:
    pairs = [socket.socketpair() for _ in range(5)]
    streams = [ours for ours, _ in pairs]

    def answer_the_last_late() -> None:
        for _, node_side in pairs[:-1]:
            node_side.sendall(REFUSAL)
        time.sleep(1.0)  # longer than the subscriber count stays still
        pairs[-1][1].sendall(REFUSAL)

    runtime = _runtime()
    answering = threading.Thread(target=answer_the_last_late)
    try:
        started = time.monotonic()
        answering.start()
        assert _settled_subscribers(runtime, streams) == 0
        assert time.monotonic() - started >= 1.0
        assert _answered(streams) == len(streams)
        assert all(s.recv(1024, socket.MSG_PEEK) == REFUSAL for s in streams)  # still unread
    finally:
        answering.join()
        runtime.close()
        for ours, theirs in pairs:
            ours.close()
            theirs.close()
