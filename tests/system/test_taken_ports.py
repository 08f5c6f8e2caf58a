"""Processes that say they run, run (issue 16, item 6).

``plaza node run``, ``plaza devnet up``, ``plaza bench network`` and ``plaza demo`` are
started while one of their ports is held by another program, here a stand-in that
answers every GET with 200, as a stale node's /health would. Each must exit non-zero
with a message naming the port, and print no banner, table or figures first.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from node_processes import free_base_port, free_port

pytestmark = pytest.mark.slow

PLAZA = [sys.executable, "-m", "plaza.cli.main"]


class _AnswersEverything(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"status": "ok"}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def hold(port: int) -> Iterator[ThreadingHTTPServer]:
    """Another program on ``port``: it answers every GET with 200."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _AnswersEverything)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def taken() -> Iterator[int]:
    port = free_port()
    with hold(port):
        yield port


def run(command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def test_node_run_on_a_taken_port_exits_naming_it(taken: int, tmp_path: Path) -> None:
    result = run(
        [*PLAZA, "node", "run", "--data-dir", str(tmp_path / "node"), "--port", str(taken)],
        timeout=60,
    )
    assert result.returncode != 0
    assert f"127.0.0.1:{taken}" in " ".join(result.stderr.split())
    assert "Plaza node" not in result.stderr + result.stdout  # no banner for a node not running
    assert not (tmp_path / "node").exists()  # failed before touching the data directory


def test_devnet_up_with_a_taken_port_exits_naming_it(tmp_path: Path) -> None:
    base = free_base_port(2)
    with hold(base + 1):
        result = run(
            [
                *PLAZA,
                "devnet",
                "up",
                "--nodes",
                "2",
                "--home",
                str(tmp_path / "devnet"),
                "--base-port",
                str(base),
                "--pow-difficulty",
                "0",
            ],
            timeout=90,
        )
    assert result.returncode != 0
    message = " ".join(result.stderr.split())
    assert f"port {base + 1}" in message
    assert "Plaza devnet" not in result.stdout  # no table of nodes
    assert not (tmp_path / "devnet" / "devnet.json").exists()


def test_bench_network_with_a_taken_port_exits_naming_it(tmp_path: Path) -> None:
    base = free_base_port(2)
    with hold(base + 1):
        result = run(
            [
                *PLAZA,
                "bench",
                "network",
                "--json",
                "--nodes",
                "2",
                "--base-port",
                str(base),
                "--pow-difficulty",
                "0",
                "--milestone-interval",
                "0.25",
                "--throughput-seconds",
                "1",
                "--latency-seconds",
                "1",
                "--propagation-samples",
                "1",
            ],
            timeout=90,
        )
    assert result.returncode != 0
    assert f"port {base + 1}" in " ".join(result.stderr.split())
    assert result.stdout == ""  # no figures, and no NaN


def test_demo_with_its_web_port_taken_exits_naming_it(taken: int, tmp_path: Path) -> None:
    result = run(
        [
            *PLAZA,
            "demo",
            "--data-dir",
            str(tmp_path / "demo"),
            "--port",
            "0",
            "--web-port",
            str(taken),
            "--duration",
            "1",
        ],
        timeout=60,
    )
    assert result.returncode != 0
    assert f"127.0.0.1:{taken}" in " ".join((result.stdout + result.stderr).split())
