"""A real node behind a real uvicorn server, on 127.0.0.1, for the HTTP tests.

The server gets a socket bound here to port 0, so the port is known
before the server starts and no other process can take it in between. It runs
in a thread with its own event loop (the coordinator loop inside it), and is
stopped and joined, and the runtime closed, before the fixture returns.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from node_helpers import DIFFICULTY

from plaza.api import ApiConfig, create_app
from plaza.bootstrap import build_node
from plaza.clients.node import NodeClient
from plaza.crypto import SigningKey
from plaza.node import DataDir, NodeRuntime
from plaza.settings import NodeSettings

STARTUP_TIMEOUT_S = 10.0


class _ServerErrors(logging.Handler):
    """Errors the server logged: a route or the coordinator failing where no test looks.

    Only records from other threads than the tests' own count: the server's
    loop, its worker pools and the coordinator run there, while tests that
    provoke errors on purpose (in the same process) log from the main thread.
    """

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != threading.main_thread().ident:
            self.records.append(record)


@dataclass
class RunningNode:
    url: str
    runtime: NodeRuntime
    faucet: SigningKey

    def client(self, *, timeout: float = 10.0) -> NodeClient:
        return NodeClient(self.url, timeout=timeout)


def _wait_until_healthy(server: uvicorn.Server, thread: threading.Thread, url: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    with NodeClient(url, timeout=1.0) as client:
        while time.monotonic() < deadline:
            if not thread.is_alive():
                raise RuntimeError("the server thread died during startup")
            if server.started and client.health():
                return
            time.sleep(0.02)
    raise TimeoutError(f"no healthy node at {url} within {STARTUP_TIMEOUT_S} s")


@contextmanager
def serve_node(
    settings: NodeSettings, *, api_config: ApiConfig | None = None
) -> Iterator[RunningNode]:
    """Build a node from ``settings``, serve it, and tear everything down afterwards."""
    runtime = build_node(settings)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        create_app(runtime, config=api_config),
        log_config=None,  # leave the test process's logging alone
        log_level="warning",
        access_log=False,
        ws="none",
        lifespan="on",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    errors = _ServerErrors()
    logging.getLogger().addHandler(errors)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(server, thread, url)
        faucet = DataDir(settings.data_dir).key("faucet")
        assert faucet is not None
        yield RunningNode(url, runtime, faucet)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
        runtime.close()
        logging.getLogger().removeHandler(errors)
    assert not thread.is_alive(), "the server did not stop"
    assert not errors.records, [record.getMessage() for record in errors.records]


def node_settings(
    data_dir: Path, *, held_limit: int = 10_000, pow_requests_per_s: float = 5.0
) -> NodeSettings:
    """A devnet node on SQLite that issues a milestone every 0.2 s."""
    return NodeSettings(
        data_dir=data_dir,
        store="sqlite",
        pow_difficulty=DIFFICULTY,
        milestone_interval_s=0.2,
        held_limit=held_limit,
        pow_requests_per_s=pow_requests_per_s,
    )
