"""The stack's supervisor with tiny Python children: a failure named with its port and log,
a child that ignores SIGTERM killed after the timeout, output in its log and on the
terminal, prefixed."""

from __future__ import annotations

import io
import sys
import threading
from pathlib import Path

import pytest

from plaza.cli._stack_processes import Child, StackError, Supervisor

_IGNORES_SIGTERM = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('ready', flush=True); time.sleep(60)"
)


def _python(name: str, code: str, *, port: int | None = None) -> Child:
    return Child(name, [sys.executable, "-c", code], {}, port, lambda c: c.saw("ready"))


def test_a_child_that_exits_while_starting_is_named_with_its_port_and_log(
    tmp_path: Path,
) -> None:
    supervisor = Supervisor(tmp_path / "logs", io.StringIO(), threading.Event())
    child = _python("broken", "print('port 9 is taken'); raise SystemExit(3)", port=9)
    try:
        with pytest.raises(StackError) as raised:
            supervisor.start(child, timeout=30)
    finally:
        supervisor.stop()
    log = tmp_path / "logs" / "broken.log"
    assert str(raised.value) == (f"broken (port 9, log {log}) exited with code 3: port 9 is taken")
    assert log.read_text() == "port 9 is taken\n"


def test_children_stop_newest_first_and_one_ignoring_sigterm_is_killed(tmp_path: Path) -> None:
    terminal = io.StringIO()
    supervisor = Supervisor(tmp_path / "logs", terminal, threading.Event())
    supervisor.start(
        _python("polite", "import time; print('ready', flush=True); time.sleep(60)"), timeout=30
    )
    supervisor.start(_python("stubborn", _IGNORES_SIGTERM), timeout=30)
    killed = supervisor.stop(timeout=0.5)
    assert killed == ["stubborn"]
    assert all(c.process is not None and c.process.poll() is not None for c in supervisor.children)
    lines = terminal.getvalue().splitlines()
    stopped = [line.split()[2] for line in lines if line.startswith("plaza stack: ")]
    assert stopped == ["stubborn", "polite"]
    assert "polite        | ready" in lines
    assert (tmp_path / "logs" / "stubborn.log").read_text() == "ready\n"


def test_a_stop_asked_for_while_a_child_starts_ends_the_wait(tmp_path: Path) -> None:
    stop = threading.Event()
    stop.set()
    supervisor = Supervisor(tmp_path / "logs", io.StringIO(), stop)
    try:
        with pytest.raises(StackError, match="stopped while slow"):
            supervisor.start(_python("slow", "import time; time.sleep(60)"), timeout=30)
    finally:
        supervisor.stop(timeout=5)
