"""``plaza market run --workers N`` in a child process on a fresh PostgreSQL schema.

The parent prints a line for each worker that starts serving (``plaza market: worker
<pid> serving``); :class:`MarketWorkers` reads them on a thread, so a test knows the
workers' ids, and a replacement's after one was killed. Without PostgreSQL the test is
skipped locally; in CI (``CI=true``) it fails.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from node_processes import free_port
from pydantic import SecretStr

from plaza.market.book.journal import OrderAccepted
from plaza.market.model import Match
from plaza.market.sql import SqlBookStore, make_engine
from plaza.processes import alive
from plaza.settings import MarketSettings

__all__ = ["MarketWorkers", "children", "journal", "none_left"]

_SERVING = "plaza market: worker "


def children(parent: int) -> set[int]:
    """The processes whose parent is ``parent`` (uvicorn's workers, multiprocessing's
    resource tracker), from /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == parent:
            found.add(int(stat.parent.name))
    return found


def none_left(pids: set[int]) -> None:
    """None of ``pids`` runs any more (multiprocessing's resource tracker ends on its own)."""
    deadline = time.monotonic() + 5
    while [pid for pid in pids if alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in pids if alive(pid)] == []


def journal(dsn: str, schema: str) -> tuple[Counter[str], list[Match]]:
    """How often the journal accepted each order, and every match it made."""
    engine = make_engine(dsn, schema=schema)
    try:
        entries = list(SqlBookStore(engine).entries())
    finally:
        engine.dispose()
    accepted = Counter(
        event.order.id
        for entry in entries
        for event in entry.events
        if isinstance(event, OrderAccepted)
    )
    return accepted, [match for entry in entries for match in entry.matches()]


class MarketWorkers:
    """The marketplace's parent process and the workers it announced."""

    def __init__(
        self, data_dir: Path, dsn: str, schema: str, *, node_url: str = "", workers: int = 2
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = MarketSettings(
            data_dir=data_dir,
            database_url=SecretStr(dsn),
            database_schema=schema,
            node_url=node_url,
        )
        self._count = workers
        self.workers: set[int] = set()
        self.seen: set[int] = set()  # every child ever seen, for the clean-up
        self.lines: list[str] = []
        self._pids: queue.Queue[int | None] = queue.Queue()  # None: the output ended
        self.process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    def command(self) -> list[str]:
        settings = self.settings
        options = ["--data-dir", str(settings.data_dir), "--port", str(self.port)]
        options += [
            "--node-url",
            settings.node_url,
            "--database-schema",
            str(settings.database_schema),
        ]
        options += ["--periodic-interval", "0.5", "--workers", str(self._count)]
        return [sys.executable, "-m", "plaza.cli.main", "market", "run", *options]

    def start(self) -> set[int]:
        """Start the parent; the workers' ids once each serves."""
        assert self.settings.database_url is not None
        environment = {
            **os.environ,
            "PLAZA_MARKET_DATABASE_URL": self.settings.database_url.get_secret_value(),
        }
        self.process = subprocess.Popen(
            self.command(),
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.workers = {self.next_worker() for _ in range(self._count)}
        return self.workers

    def next_worker(self, timeout: float = 30) -> int:
        """The id of the next worker that starts serving (a replacement, after a kill)."""
        pid = self._pids.get(timeout=timeout)
        assert pid is not None, "\n".join(["the parent's output ended:", *self.lines[-30:]])
        self.workers = {worker for worker in self.workers if alive(worker)} | {pid}
        self.children()
        return pid

    def children(self) -> set[int]:
        assert self.process is not None
        found = children(self.process.pid)
        self.seen |= found
        return found

    def stop(self) -> int | None:
        """SIGTERM to the parent, then SIGKILL to whatever is left; the parent's exit code
        (None if it had to be killed)."""
        process, self.process = self.process, None
        if process is None:
            return None
        code = process.poll()
        if code is None:
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for pid in self.seen:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if self._reader is not None:
            self._reader.join(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
        return code

    def _read(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith(_SERVING):
                self._pids.put(int(line.split()[3]))
        self._pids.put(None)
