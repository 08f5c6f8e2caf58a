"""Child processes for ``plaza stack``: started one by one, each healthy before the next,
their output in one log file each and on the terminal, stopped in reverse order.

Each child runs in a session of its own, so a Ctrl-C at the terminal reaches only the
supervisor, which then stops the children newest first (SIGTERM, SIGKILL after a
timeout): the web app before the marketplace it reads, the marketplace before the
nodes it writes twins to.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TextIO

__all__ = ["Child", "StackError", "Supervisor"]


class StackError(RuntimeError):
    """A child did not start: the message names it, its port and its log file."""


@dataclass
class Child:
    """One process of the stack: ``ready`` says whether it serves (its listener answers as
    itself, or it printed what it prints once running)."""

    name: str
    command: list[str]
    env: dict[str, str]
    port: int | None
    ready: Callable[[Child], bool]
    url: str = ""
    process: subprocess.Popen[bytes] | None = None
    log: Path = Path()
    lines: deque[str] = field(default_factory=lambda: deque(maxlen=200))
    tee: threading.Thread | None = None  # copies its output to its log and the terminal

    def saw(self, prefix: str) -> bool:
        """Whether it printed a line starting with ``prefix``."""
        return any(line.startswith(prefix) for line in list(self.lines))

    def where(self) -> str:
        port = "no port" if self.port is None else f"port {self.port}"
        return f"{self.name} ({port}, log {self.log})"


class Supervisor:
    """Starts children into ``logs`` and copies every line to ``out``, prefixed by name."""

    def __init__(self, logs: Path, out: TextIO, stop: threading.Event) -> None:
        logs.mkdir(parents=True, exist_ok=True)
        self.logs = logs
        self.children: list[Child] = []
        self.lock = threading.Lock()  # one writer to ``out`` at a time
        self._out = out
        self._stop = stop

    def start(self, child: Child, *, timeout: float) -> None:
        """Start ``child`` and wait until it is ready; :class:`StackError` if it exits, does
        not answer within ``timeout`` seconds, or a stop is asked for meanwhile."""
        child.log = self.logs / f"{child.name}.log"
        # unbuffered, so its lines reach the log as they are written; wide, so a banner's
        # lines are not wrapped for a terminal they never see
        environment = {**os.environ, **child.env, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
        child.process = subprocess.Popen(  # noqa: S603 (the stack's own commands)
            child.command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=environment,
            start_new_session=True,
        )
        self.children.append(child)
        assert child.process.stdout is not None
        child.tee = threading.Thread(
            target=self._tee, args=(child, child.process.stdout), daemon=True
        )
        child.tee.start()
        self._wait_ready(child, timeout)

    def _wait_ready(self, child: Child, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        process = child.process
        assert process is not None
        while not child.ready(child):
            if process.poll() is not None:
                if child.tee is not None:
                    child.tee.join(timeout=2)  # its last lines reach the log (the pipe ends)
                raise StackError(
                    f"{child.where()} exited with code {process.returncode}: {self.last(child)}"
                )
            if self._stop.is_set():
                raise StackError(f"stopped while {child.where()} was starting")
            if time.monotonic() >= deadline:
                raise StackError(f"{child.where()} did not answer within {timeout:.0f} s")
            time.sleep(0.1)

    def _tee(self, child: Child, stream: IO[bytes]) -> None:
        with stream, child.log.open("ab") as log:  # the pipe closed at the child's end
            for raw in iter(stream.readline, b""):
                log.write(raw)
                log.flush()
                line = raw.decode(errors="replace").rstrip("\n")
                child.lines.append(line)
                self.say(f"{child.name:<14}| {line}")

    def say(self, text: str) -> None:
        with self.lock:
            try:
                self._out.write(text + "\n")
                self._out.flush()
            except (OSError, ValueError):
                pass  # the terminal went away; the log files keep everything

    @staticmethod
    def last(child: Child, count: int = 4) -> str:
        """The child's last lines (its own reason, such as a port in use)."""
        lines = [line.strip() for line in list(child.lines)[-count:] if line.strip()]
        return " ".join(lines) or "(no output)"

    def dead(self) -> Child | None:
        """A child that exited by itself, if any."""
        for child in self.children:
            if child.process is not None and child.process.poll() is not None:
                return child
        return None

    def stop(self, timeout: float = 10.0) -> list[str]:
        """SIGTERM each child, newest first, waiting for each; SIGKILL one that outlives
        ``timeout``. Returns the names of the children that had to be killed."""
        killed = []
        for child in reversed(self.children):
            process = child.process
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGTERM)
            began = time.monotonic()
            try:
                code = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
                killed.append(child.name)
            took = time.monotonic() - began
            self.say(f"plaza stack: {child.name} stopped in {took:.1f} s (exit code {code})")
        for child in self.children:
            if child.tee is not None:
                child.tee.join(timeout=2)
        return killed
