"""``plaza web run`` and ``plaza stack``'s refusals: each one line, before anything starts;
and how ``plaza stack down`` tells that a supervisor has stopped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from plaza.cli.main import app
from plaza.processes import alive


def test_web_run_on_a_taken_port_says_so_and_exits_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            app, ["web", "run", "--port", str(port), "--data-dir", str(tmp_path / "web")]
        )
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


def test_stack_up_refuses_an_mqtt_address_without_a_port(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["stack", "up", "--home", str(tmp_path), "--mqtt", "broker"])
    assert result.exit_code == 2
    assert "is not HOST:PORT" in result.output
    assert not (tmp_path / "logs").exists()


def test_stack_up_without_postgresql_starts_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["stack", "up", "--home", str(tmp_path), "--postgres", "postgresql://nobody@127.0.0.1:1/x"],
    )
    assert result.exit_code == 1
    assert "PostgreSQL at --postgres does not answer" in result.output
    assert not (tmp_path / "logs").exists()


def test_stack_down_without_a_stack_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["stack", "down", "--home", str(tmp_path)])
    assert result.exit_code == 0
    assert f"no stack running under {tmp_path}" in result.output


def test_an_exited_supervisor_not_yet_reaped_counts_as_stopped() -> None:
    """``plaza stack down`` waited its full minute for a supervisor that had exited but
    whose parent (a test, a shell script) had not waited for it yet."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 10
        while _stat_state(child.pid) != "Z" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _stat_state(child.pid) == "Z", "exited, not reaped"
        assert not alive(child.pid)
    finally:
        child.wait()
    assert alive(os.getpid())


def _stat_state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
