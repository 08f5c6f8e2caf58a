"""The two starvation attacks of issue 16, measured for ``plaza bench ledger``.

* Idle subscribers: a node served over HTTP on loopback ingests the workload
  once with no event-stream subscriber and once after one client opened
  ``idle`` streams it never reads (the node caps them per client; the refused
  connections stay open too). The ratio of the two rates is the figure.
* Orphan flood: hosts send orphans (messages approving parents nobody has), a
  share's worth each, beyond the held set's limit, while other clients each send
  a legitimate child before its parent. The figure says whether every child was
  held and then stored, and every parent stored, during the flood.

Both run a node with its default limits (:class:`NodeConfig`).
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from plaza.api import ApiConfig, create_app
from plaza.api.serving import ThreadedServer
from plaza.bootstrap import SystemClock
from plaza.crypto import SigningKey
from plaza.ledger.admission import IngestStatus
from plaza.ledger.compose import compose
from plaza.ledger.errors import LedgerError
from plaza.ledger.genesis import Genesis
from plaza.ledger.model import ConfirmationState, DataPayload, Message
from plaza.ledger.pow import NoWork
from plaza.ledger.solidifier import Submitter
from plaza.node import NodeConfig, NodeRuntime
from plaza.storage.sqlite import SqliteTangleStore

__all__ = ["FloodOutcome", "IdleOutcome", "measure_idle_subscribers", "measure_orphan_flood"]

ROUNDS = 3
SETTLE_S = 10.0  # at most this long for the server to answer every idle stream
KEEPALIVE_S = 1.0  # closed idle streams then end within a second, not at shutdown


@dataclass(frozen=True, slots=True)
class IdleOutcome:
    served_ingest_per_s: float
    idle_ingest_per_s: float
    served_ingest_per_cpu_s: float
    idle_ingest_per_cpu_s: float
    connected: int  # streams the node kept open (the rest were refused)


@dataclass(frozen=True, slots=True)
class FloodOutcome:
    orphans: int
    orphans_held: int
    legit_pairs: int
    legit_accepted: bool


def _runtime(genesis: Genesis, path: Path, config: NodeConfig) -> NodeRuntime:
    return NodeRuntime(
        store=SqliteTangleStore(path), genesis=genesis, config=config, clock=SystemClock()
    )


def _ingest(runtime: NodeRuntime, raws: list[bytes], batch: int) -> tuple[float, float]:
    """Messages per second of wall time, and per second of this process's CPU time (which
    other processes on a shared machine disturb far less)."""
    started, cpu = time.perf_counter(), time.process_time()
    for offset in range(0, len(raws), batch):
        results = runtime.tangle.ingest(raws[offset : offset + batch])
        if any(result.error is not None for result in results):
            raise RuntimeError(f"benchmark message refused: {results}")
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return len(raws) / wall, len(raws) / cpu


@contextmanager
def _idle_streams(url: str, count: int) -> Iterator[list[socket.socket]]:
    """``count`` connections from this host asking for every event, then never reading."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    request = f"GET /api/v1/events HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    streams: list[socket.socket] = []
    try:
        for _ in range(count):
            stream = socket.create_connection((host, int(port)), timeout=5)
            stream.sendall(request)
            streams.append(stream)
        yield streams
    finally:
        for stream in streams:
            stream.close()


def _answered(streams: list[socket.socket]) -> int:
    """How many of ``streams`` have their answer (a stream's first comment, or a refusal),
    seen without reading any of them: an idle subscriber never reads."""
    poll = select.poll()
    for stream in streams:
        poll.register(stream, select.POLLIN)
    return len(poll.poll(0))


def _settled_subscribers(runtime: NodeRuntime, streams: list[socket.socket]) -> int:
    """The subscriber count once every request has been answered, the refused ones too.

    The count alone stops changing at the cap long before that: on a loaded machine the
    node was still refusing a third of the burst when ingest began, so the figure measured
    the burst, not the idle streams it leaves."""
    deadline = time.monotonic() + SETTLE_S
    while _answered(streams) < len(streams) and time.monotonic() < deadline:
        time.sleep(0.05)
    return runtime.events.statistics()["subscribers"]


def _served_rate(
    genesis: Genesis, raws: list[bytes], path: Path, *, config: NodeConfig, batch: int, idle: int
) -> tuple[tuple[float, float], int]:
    runtime = _runtime(genesis, path, config)
    try:
        app = create_app(runtime, config=ApiConfig(keepalive_s=KEEPALIVE_S))
        with ThreadedServer(app) as server, _idle_streams(server.url, idle) as streams:
            connected = _settled_subscribers(runtime, streams) if idle else 0
            return _ingest(runtime, raws, batch), connected
    finally:
        runtime.close()


def measure_idle_subscribers(
    genesis: Genesis,
    raws: list[bytes],
    folder: Path,
    *,
    config: NodeConfig,
    batch: int,
    idle: int,
) -> IdleOutcome:
    """Ingest on a served node without and with ``idle`` streams, three times each in turn,
    best kept (the machine is shared: the best of three is the least disturbed)."""
    without: list[tuple[float, float]] = []
    with_idle: list[tuple[float, float]] = []
    connected = 0
    for round_ in range(ROUNDS):
        path = folder / f"served-{round_}.db"
        rate, _ = _served_rate(genesis, raws, path, config=config, batch=batch, idle=0)
        without.append(rate)
        path = folder / f"idle-{round_}.db"
        rate, connected = _served_rate(genesis, raws, path, config=config, batch=batch, idle=idle)
        with_idle.append(rate)
    return IdleOutcome(
        served_ingest_per_s=max(wall for wall, _ in without),
        idle_ingest_per_s=max(wall for wall, _ in with_idle),
        served_ingest_per_cpu_s=max(cpu for _, cpu in without),
        idle_ingest_per_cpu_s=max(cpu for _, cpu in with_idle),
        connected=connected,
    )


def _orphans(key: SigningKey, genesis: Genesis, count: int, now_ms: int) -> list[Message]:
    return [
        compose(
            key,
            network_id=genesis.network_id,
            parents=[number.to_bytes(32, "big")],  # no message has this id
            payload=DataPayload(b"orphan", number.to_bytes(4, "big")),
            issued_at_ms=now_ms,
            work=NoWork(),
        )
        for number in range(1, count + 1)
    ]


def _pair(key: SigningKey, genesis: Genesis, number: int, now_ms: int) -> tuple[Message, Message]:
    parent = compose(
        key,
        network_id=genesis.network_id,
        parents=[genesis.id],
        payload=DataPayload(b"legit", b"%d" % number),
        issued_at_ms=now_ms,
        work=NoWork(),
    )
    child = compose(
        key,
        network_id=genesis.network_id,
        parents=[parent.id],
        payload=DataPayload(b"legit-child", b"%d" % number),
        issued_at_ms=now_ms,
        work=NoWork(),
    )
    return parent, child


def measure_orphan_flood(
    genesis: Genesis, key: SigningKey, folder: Path, *, orphans: int, legit_pairs: int
) -> FloodOutcome:
    """Flood from hosts of one share each; legitimate pairs interleave, child first."""
    config = NodeConfig(pow_difficulty=0, coordinator=False)
    share = config.held_per_client
    now_ms = time.time_ns() // 1_000_000
    flood = _orphans(key, genesis, orphans, now_ms)
    pairs = [_pair(key, genesis, number, now_ms) for number in range(legit_pairs)]
    runtime = _runtime(genesis, folder / "flood.db", config)
    try:
        accepted = _flood(runtime, flood, pairs, share)
        held = runtime.tangle.statistics()["held"]
    finally:
        runtime.close()
    return FloodOutcome(orphans, held, legit_pairs, accepted)


def _flood(
    runtime: NodeRuntime, flood: list[Message], pairs: list[tuple[Message, Message]], share: int
) -> bool:
    chunk = max(1, len(flood) // max(1, 2 * len(pairs)))
    steps = [flood[offset : offset + chunk] for offset in range(0, len(flood), chunk)]
    accepted = True
    for step, orphans in enumerate(steps):
        attacker = Submitter.client(f"10.66.{step * chunk // share}.1")
        runtime.tangle.ingest([orphan.raw for orphan in orphans], attacker)
        number, second = divmod(step, 2)
        if number < len(pairs):
            parent, child = pairs[number]
            wanted = IngestStatus.STORED if second else IngestStatus.HELD
            accepted &= _legit(runtime, parent if second else child, f"10.1.{number}.1", wanted)
    return accepted and all(_solid(runtime, child) for _, child in pairs)


def _legit(runtime: NodeRuntime, message: Message, host: str, wanted: IngestStatus) -> bool:
    try:
        return runtime.submit(message.raw, client=host).status is wanted
    except LedgerError:
        return False


def _solid(runtime: NodeRuntime, message: Message) -> bool:
    state = runtime.tangle.metadata(message.id).state
    return state is not ConfirmationState.HELD
