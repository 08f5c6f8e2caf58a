"""A local network of node processes on loopback, for trying Plaza and testing it.

Node 0 holds the genesis keys (faucet, coordinator) and confirms; every node
dials the nodes before it and allows those after it, so each pair has exactly
one link. All nodes share node 0's genesis. ``route`` lets a test put something
(a proxy it can cut) between a dialer and the node it dials.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from plaza.node import DataDir
from plaza.processes import alive

__all__ = ["Devnet", "DevnetError", "DevnetNode"]

Route = Callable[[int, int], tuple[str, int]]  # (dialer, dialed) -> host, port to dial


class DevnetError(RuntimeError):
    """A node of the devnet did not start: the message names its port and its log."""


@dataclass
class DevnetNode:
    index: int
    port: int
    data_dir: Path
    public_key: bytes
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Devnet:
    def __init__(
        self,
        home: Path,
        *,
        nodes: int = 3,
        base_port: int = 8650,
        milestone_interval_s: float = 1.0,
        pow_difficulty: int = 11,
        route: Route | None = None,
        allow: tuple[bytes, ...] = (),
    ) -> None:
        if nodes < 1:
            raise ValueError("a devnet needs at least one node")
        self.home = home
        self.milestone_interval_s = milestone_interval_s
        self.pow_difficulty = pow_difficulty
        self._allow = allow  # extra keys every node lets dial in (a test's own peer)
        self._route = route or (lambda _dialer, dialed: ("127.0.0.1", base_port + dialed))
        self.nodes = [self._prepare(index, base_port + index) for index in range(nodes)]

    @property
    def state_file(self) -> Path:
        return self.home / "devnet.json"

    def _prepare(self, index: int, port: int) -> DevnetNode:
        data_dir = DataDir(self.home / f"node-{index}")
        if index == 0:
            data_dir.init_devnet("plaza-devnet", now_ms=time.time_ns() // 1_000_000)
        elif not data_dir.genesis_file.exists():
            data_dir.path.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.home / "node-0" / "genesis.json", data_dir.genesis_file)
        return DevnetNode(index, port, data_dir.path, data_dir.node_key().public_key.raw)

    def command(self, node: DevnetNode) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "plaza.cli.main",
            "node",
            "run",
            "--data-dir",
            str(node.data_dir),
            "--port",
            str(node.port),
            "--pow-difficulty",
            str(self.pow_difficulty),
            "--milestone-interval",
            str(self.milestone_interval_s),
        ]
        if node.index > 0:
            command.append("--no-coordinator")
        for other in self.nodes:
            if other.index < node.index:
                host, port = self._route(node.index, other.index)
                command += ["--peer", f"{other.public_key.hex()}@{host}:{port}"]
            elif other.index > node.index:
                command += ["--allow-peer", other.public_key.hex()]
        for key in self._allow:
            command += ["--allow-peer", key.hex()]
        return command

    def start(self, timeout: float = 30.0) -> None:
        """Start every node and wait until each answers as itself; on failure stop them all
        and raise :class:`DevnetError` naming the node's port."""
        try:
            for node in self.nodes:
                self.start_node(node.index, wait=False)
            self.wait_healthy(*self.nodes, timeout=timeout)
        except DevnetError:
            self.stop()
            raise
        self._write_state()

    def start_node(self, index: int, *, wait: bool = True, timeout: float = 30.0) -> None:
        node = self.nodes[index]
        with (self.home / f"node-{index}.log").open("ab") as log:
            command = self.command(node)  # built from our own settings, never from input
            node.process = subprocess.Popen(command, stdout=log, stderr=log)  # noqa: S603
        if wait:
            self.wait_healthy(node, timeout=timeout)

    def wait_healthy(self, *nodes: DevnetNode, timeout: float) -> None:
        """Wait until each node's own process answers on its port: whatever else may hold the
        port (another node, another program) does not answer with this node's id.

        The nodes are watched together, so a node that exits (its port taken) is reported
        at once, however long the others take to start on a loaded machine.
        """
        deadline, waiting = time.monotonic() + timeout, list(nodes)
        while True:
            for node in list(waiting):
                if node.process is not None and node.process.poll() is not None:
                    raise DevnetError(
                        f"node {node.index} (port {node.port}) exited with code "
                        f"{node.process.returncode}: {self._last_line(node)}"
                    )
                if self._answers_as_itself(node):
                    waiting.remove(node)
            if not waiting:
                return
            if time.monotonic() >= deadline:
                late = waiting[0]
                raise DevnetError(
                    f"node {late.index} did not answer on port {late.port} within {timeout} s "
                    f"(see {self._log(late)})"
                )
            time.sleep(0.1)

    @staticmethod
    def _answers_as_itself(node: DevnetNode) -> bool:
        try:
            answer = httpx.get(f"{node.url}/api/v1/peers", timeout=1)
            return answer.status_code == 200 and answer.json().get("node_id") == (
                node.public_key.hex()
            )
        except (httpx.TransportError, ValueError, AttributeError):
            return False

    def _log(self, node: DevnetNode) -> Path:
        return self.home / f"node-{node.index}.log"

    def _last_line(self, node: DevnetNode) -> str:
        """The node's last log line (its own reason, such as a port already in use)."""
        try:
            lines = self._log(node).read_text(errors="replace").split("\n")
        except OSError:
            return f"see {self._log(node)}"
        last = " ".join(line.strip() for line in lines[-4:] if line.strip())
        return f"{last} (see {self._log(node)})"

    def kill_node(self, index: int) -> None:
        """SIGKILL: nothing is flushed or closed, as in a crash."""
        process = self.nodes[index].process
        if process is not None:
            process.kill()
            process.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> None:
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.send_signal(signal.SIGTERM)
        for node in self.nodes:
            if node.process is not None:
                try:
                    node.process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    node.process.kill()
                    node.process.wait()
        self.state_file.unlink(missing_ok=True)

    def _write_state(self) -> None:
        state = {
            "supervisor": os.getpid(),
            "nodes": [
                {"index": n.index, "url": n.url, "pid": n.process.pid if n.process else None}
                for n in self.nodes
            ],
        }
        self.state_file.write_text(json.dumps(state, indent=2))

    @staticmethod
    def stop_recorded(home: Path, timeout: float = 10.0) -> int:
        """Stop a devnet started by another process (``plaza devnet down``); nodes stopped."""
        state_file = home / "devnet.json"
        if not state_file.exists():
            return 0
        state = json.loads(state_file.read_text())
        pids = [state["supervisor"], *(node["pid"] for node in state["nodes"] if node["pid"])]
        stopped = 0
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
                stopped += 1
            except ProcessLookupError:
                continue
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(alive(pid) for pid in pids):
            time.sleep(0.1)
        state_file.unlink(missing_ok=True)
        return max(0, stopped - 1)
