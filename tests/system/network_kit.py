"""Tools for fault tests on a real devnet: steady traffic, a cuttable link, convergence checks."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from dataclasses import dataclass, field

from plaza.clients.errors import ClientError
from plaza.clients.node import NodeClient
from plaza.crypto import SigningKey
from plaza.devnet import Devnet
from plaza.ledger.compose import compose
from plaza.ledger.model import DataPayload, Output, Payload, TransferPayload
from plaza.ledger.pow import NoWork


class Traffic(threading.Thread):
    """Data messages and faucet transfers, round robin over the nodes, until stopped."""

    def __init__(self, devnet: Devnet, faucet: SigningKey, *, per_second: float = 20) -> None:
        super().__init__(daemon=True)
        self._urls = [node.url for node in devnet.nodes]
        self._faucet = faucet
        self._interval = 1 / per_second
        self._halt = threading.Event()
        self.accepted = 0
        self.failed = 0

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=10)

    def run(self) -> None:
        clients = [NodeClient(url, timeout=3) for url in self._urls]
        try:
            for number in itertools.count():
                if self._halt.wait(self._interval):
                    return
                self._send(clients[number % len(clients)], number)
        finally:
            for client in clients:
                client.close()

    def _send(self, client: NodeClient, number: int) -> None:
        payload: Payload = DataPayload(b"traffic", number.to_bytes(8, "big"))
        if number % 4 == 0:
            payload = TransferPayload((Output(number.to_bytes(32, "big"), 10),))
        try:
            info = client.info()
            message = compose(
                self._faucet,
                network_id=info.network_id,
                parents=client.tips(),
                payload=payload,
                issued_at_ms=time.time_ns() // 1_000_000,
                work=NoWork(),
            )
            client.submit(message)
            self.accepted += 1
        except ClientError:
            self.failed += 1  # a node is down or cut off: that is the point of the test


def converged_state(devnet: Devnet, timeout: float = 60.0) -> tuple[int, bytes]:
    """Wait until every node reports the same latest milestone and state root."""
    deadline = time.monotonic() + timeout
    seen: list[tuple[int, bytes]] = []
    while time.monotonic() < deadline:
        seen = []
        for node in devnet.nodes:
            with contextlib.suppress(ClientError), NodeClient(node.url, timeout=3) as client:
                info = client.info()
                seen.append((info.latest_milestone_index, info.state_root))
        if len(seen) == len(devnet.nodes) and len(set(seen)) == 1:
            return seen[0]
        time.sleep(0.1)
    raise AssertionError(f"nodes did not converge within {timeout} s: {seen}")


def assert_same_milestones(devnet: Devnet, up_to: int) -> None:
    """Every node holds every milestone up to ``up_to`` with the same id and state root."""
    clients = [NodeClient(node.url) for node in devnet.nodes]
    try:
        for index in range(1, up_to + 1):
            records = {client.milestone(index) for client in clients}
            assert len(records) == 1, f"milestone {index} differs between nodes: {records}"
    finally:
        for client in clients:
            client.close()


@dataclass
class CuttableLink:
    """A TCP relay on loopback to ``target_port`` that a test can cut and heal."""

    target_port: int
    port: int = 0
    _loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    _thread: threading.Thread | None = None
    _server: asyncio.Server | None = None
    _open: set[asyncio.StreamWriter] = field(default_factory=set)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._call(self._listen())

    def cut(self) -> None:
        """Drop every connection through the link and refuse new ones."""
        self._call(self._cut())

    def heal(self) -> None:
        self._call(self._listen())

    def close(self) -> None:
        self._call(self._cut())
        self._call(self._cancel_relays())
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._loop.close()

    async def _cancel_relays(self) -> None:
        current = asyncio.current_task()
        relays = [task for task in asyncio.all_tasks() if task is not current]
        for task in relays:
            task.cancel()
        await asyncio.gather(*relays, return_exceptions=True)

    def _call(self, coroutine: object) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)  # type: ignore[arg-type]

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port
            )
        except OSError:
            writer.transport.abort()
            return
        self._open.update((writer, upstream_writer))
        await asyncio.gather(
            _pipe(reader, upstream_writer), _pipe(upstream_reader, writer), return_exceptions=True
        )


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.transport.abort()
