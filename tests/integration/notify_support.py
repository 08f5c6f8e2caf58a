"""Real servers for the notify tests: a webhook receiver on loopback, and the MQTT broker.

The receiver is a stdlib ``http.server`` on 127.0.0.1 with a free port that
answers the first ``fail_first`` posts with an error status, then 204, and
records every post as received (raw body and headers).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

__all__ = ["Post", "Receiver", "free_port", "mqtt_broker_or_skip", "receiver"]


@dataclass(frozen=True)
class Post:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    fail_first: int = 0
    fail_status: int = 500
    posts: list[Post] = field(default_factory=list)


@contextmanager
def receiver(*, fail_first: int = 0, fail_status: int = 500) -> Iterator[Receiver]:
    """A running receiver; shut down and closed on exit."""
    state = Receiver("", fail_first, fail_status)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state.posts.append(Post(self.path, dict(self.headers.items()), body))
                failing = len(state.posts) <= state.fail_first
            self.send_response(state.fail_status if failing else 204)
            if state.fail_status in {301, 302, 307, 308}:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test asserts on ``posts``."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/plaza?token=receiver-token"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def free_port() -> int:
    """A loopback port nobody listens on (free when this returns)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def mqtt_broker_or_skip() -> tuple[str, int]:
    """The broker at ``PLAZA_TEST_MQTT`` (``host:port``, default ``localhost:1883``).

    Skipped when it does not answer, but a failure in CI (``CI=true``), where a
    skipped MQTT suite would silently pass.
    """
    host, _, port = os.environ.get("PLAZA_TEST_MQTT", "localhost:1883").rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=3):
            pass
    except OSError as error:
        reason = f"MQTT broker not reachable at {host}:{port}: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; in CI the MQTT tests must run")
        pytest.skip(reason)
    return host, int(port)
