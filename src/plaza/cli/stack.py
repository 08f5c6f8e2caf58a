"""``plaza stack up|down``: the scaled deployment on this machine, from one command.

``up`` starts every process of :mod:`plaza.cli._stack_plan` as a child, each answering
before the next starts; their output goes to ``<home>/logs/<name>.log`` and, prefixed
with the name, to the terminal. Ctrl-C, SIGTERM or ``plaza stack down`` stops them in
reverse order (exit 0); a child that does not start, or dies, is named with its port
and log file, what started is stopped, and the exit status is 1.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Annotated

import psycopg
import typer

from plaza.cli._stack_meter import meter
from plaza.cli._stack_plan import LEFT_OUT, MARKET_WORKERS, StackConfig, plan, prepare_schemas
from plaza.cli._stack_processes import Child, StackError, Supervisor
from plaza.processes import alive

__all__ = ["stack_app"]

stack_app = typer.Typer(help="Run the scaled deployment on this machine.", no_args_is_help=True)

stack_app.command("meter")(meter)

HomeOption = Annotated[Path, typer.Option(help="Data directories, logs and stack.json.")]
_STATE = "stack.json"


def _parse_mqtt(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise typer.BadParameter(f"{text[:60]!r} is not HOST:PORT", param_hint="--mqtt")
    return host, int(port)


def _record(config: StackConfig, children: list[Child]) -> None:
    """Who runs, for ``plaza stack down`` from another terminal."""
    state = {
        "supervisor": os.getpid(),
        "children": [
            {"name": c.name, "pid": c.process.pid, "url": c.url, "log": str(c.log)}
            for c in children
            if c.process is not None
        ],
    }
    (config.home / _STATE).write_text(json.dumps(state, indent=2))


def _banner(supervisor: Supervisor, config: StackConfig) -> None:
    web = next(child for child in supervisor.children if child.name == "web")
    lines = [f"Plaza stack {web.url}  (the web app; {len(supervisor.children)} processes)"]
    for child in supervisor.children:
        where = child.url or "(no listener)"
        lines.append(f"  {child.name:<14} {where:<24} pid {child.process and child.process.pid}")
    lines.append(f"  {'PostgreSQL':<14} schemas {config.prefix}_node_<i>, _market, _accounts")
    lines.append(f"  {'marketplace':<14} jobs on Redis, notifications on MQTT; {MARKET_WORKERS}")
    lines.append(f"  {'not here':<14} {LEFT_OUT}")
    lines.append(f"  {'logs':<14} {supervisor.logs.resolve()}")
    lines.append(f"  Ctrl-C or plaza stack down --home {config.home} stops it.")
    supervisor.say("\n".join(lines))


def _run(supervisor: Supervisor, config: StackConfig, stop: threading.Event) -> int:
    """Start every child, then watch them until a stop is asked for (0) or one dies (1)."""
    try:
        for child in plan(config):
            supervisor.start(child, timeout=60.0)
            _record(config, supervisor.children)
    except StackError as error:
        if stop.is_set():
            return 0
        supervisor.say(f"plaza stack up: {error}")
        return 1
    _banner(supervisor, config)
    while not stop.wait(0.5):
        dead = supervisor.dead()
        if dead is not None and dead.process is not None:
            code = dead.process.returncode
            reason = f"{dead.where()} exited with code {code}: {supervisor.last(dead)}"
            supervisor.say(f"plaza stack up: {reason}")
            return 1
    return 0


def _prepare(config: StackConfig) -> None:
    """The home and the marketplace's schema; no PostgreSQL: one line and exit 1."""
    config.home.mkdir(parents=True, exist_ok=True)
    try:
        prepare_schemas(config)
    except psycopg.Error as error:
        typer.echo(f"plaza stack up: PostgreSQL at --postgres does not answer: {error}", err=True)
        raise typer.Exit(1) from None


@stack_app.command("up")
def up(
    home: HomeOption = Path(".plaza/stack"),
    postgres: Annotated[
        str, typer.Option(envvar="PLAZA_STACK_POSTGRES", help="The PostgreSQL server's URL.")
    ] = "postgresql://postgres@localhost/postgres",
    redis: Annotated[
        str, typer.Option(envvar="PLAZA_STACK_REDIS", help="Redis for the marketplace's jobs.")
    ] = "redis://localhost:6379/0",
    mqtt: Annotated[str, typer.Option(help="The MQTT broker, HOST:PORT.")] = "localhost:1883",
    nodes: Annotated[int, typer.Option(min=1, max=9, help="How many nodes.")] = 2,
    base_port: Annotated[
        int, typer.Option(help="Node i on base+i, market base+10, service base+21.")
    ] = 8650,
    web_port: Annotated[int, typer.Option(help="The web app's port.")] = 8000,
    prefix: Annotated[str, typer.Option(help="The PostgreSQL schemas' prefix.")] = "plaza_stack",
) -> None:
    """Start the stack and run until Ctrl-C, SIGTERM or ``plaza stack down``."""
    mqtt_host, mqtt_port = _parse_mqtt(mqtt)
    config = StackConfig(
        home, postgres, redis, mqtt_host, mqtt_port, nodes, base_port, web_port, prefix
    )
    _prepare(config)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    supervisor = Supervisor(home / "logs", sys.stdout, stop)
    try:
        status = _run(supervisor, config, stop)
    finally:
        killed = supervisor.stop()
        (home / _STATE).unlink(missing_ok=True)
    if killed:
        supervisor.say(f"plaza stack: killed after the timeout: {', '.join(killed)}")
    supervisor.say("plaza stack: stopped")
    raise typer.Exit(status)


@stack_app.command("down")
def down(home: HomeOption = Path(".plaza/stack")) -> None:
    """Stop a stack started with ``plaza stack up`` in another terminal; wait until it has."""
    state_file = home / _STATE
    if not state_file.exists():
        typer.echo(f"no stack running under {home}")
        return
    state = json.loads(state_file.read_text())
    supervisor = int(state["supervisor"])
    if alive(supervisor):
        os.kill(supervisor, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while alive(supervisor) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [c for c in state["children"] if alive(int(c["pid"]))]
    for child in left:  # the supervisor died without stopping them
        os.kill(int(child["pid"]), signal.SIGTERM)
    state_file.unlink(missing_ok=True)
    typer.echo(f"stopped the stack under {home}" + (f" ({len(left)} left over)" if left else ""))
