"""Real node processes on loopback, started with the ``plaza`` command line."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class NodeProcess:
    """``plaza node run`` in a child process, restartable on the same data directory."""

    def __init__(self, data_dir: Path, *, milestone_interval: float = 0.2) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._milestone_interval = milestone_interval
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> None:
        command = [
            sys.executable,
            "-m",
            "plaza.cli.main",
            "node",
            "run",
            "--data-dir",
            str(self.data_dir),
            "--port",
            str(self.port),
            "--pow-difficulty",
            "0",
            "--milestone-interval",
            str(self._milestone_interval),
        ]
        log = (self.data_dir.parent / f"node-{self.port}.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=log, env=os.environ.copy())
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"node exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"node at {self.url} did not answer within {timeout} s")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, nothing is flushed."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_base_port(count: int) -> int:
    """A port p such that p to p + count - 1 are all free now (a devnet's ports)."""
    for _ in range(100):
        base = random.randint(20_000, 40_000)
        sockets = []
        try:
            for port in range(base, base + count):
                probe = socket.socket()
                sockets.append(probe)
                probe.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for probe in sockets:
                probe.close()
    raise RuntimeError("no free run of ports found")
