"""``plaza stack up`` as a process, on the real PostgreSQL, Redis and Mosquitto.

It starts, serves the demo's flows across its processes (an order placed at the
marketplace is on the web app's /market page, a trade reaches the parties on MQTT through
the marketplace's jobs on Redis, the sensors' announcements are on the web app's /streams
page, read from the ledger, the simulated meter publishes on MQTT) and stops cleanly when
``plaza stack down`` asks from another process (SIGTERM, whose handler Ctrl-C's SIGINT
shares): exit 0, no child left running.
Skipped locally when a service is missing; in CI (``CI=true``) a missing one fails.
"""

from __future__ import annotations

import json
import os
import queue
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import httpx
import paho.mqtt.client as mqtt
import psycopg
import pytest
import redis
from paho.mqtt.enums import CallbackAPIVersion
from postgres_support import postgres_dsn
from psycopg import sql

from plaza.clients.market import MarketClient, OrderTerms
from plaza.crypto import Identity
from plaza.market.auth import Role
from plaza.processes import alive

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

_HOUR_MS = 3_600_000
_PASSWORD = "correct horse battery staple"


def _missing(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; in CI the stack's test must run")
    pytest.skip(reason)


def _redis() -> str:
    """A database of its own (15): the marketplace's job keys have a fixed prefix."""
    url = os.environ.get("PLAZA_TEST_STACK_REDIS_URL", "redis://localhost:6379/15")
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        _missing(f"Redis not reachable at {url}: {error}")
    finally:
        client.close()
    return url


def _clear_jobs(url: str) -> None:
    """The marketplace's job keys in the test's own Redis database, left by this run."""
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match="plaza:market:jobs:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def _mqtt() -> tuple[str, int]:
    host, _, port = os.environ.get("PLAZA_TEST_MQTT", "localhost:1883").rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=3):
            pass
    except OSError as error:
        _missing(f"MQTT broker not reachable at {host}:{port}: {error}")
    return host, int(port)


def _free(port: int) -> bool:
    """Nothing listens on it (connections in TIME_WAIT from earlier checks do not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ports() -> tuple[int, int]:
    """A base port whose nodes, market and service ports are free, and the web's port."""
    for _ in range(50):
        base = random.randrange(20_000, 60_000, 100)
        wanted = [base, base + 1, base + 10, base + 21, base + 30]
        if all(_free(port) for port in wanted):
            return base, base + 30
    raise AssertionError("no free block of ports")


@pytest.fixture
def prefix() -> Iterator[tuple[str, str]]:
    """The DSN and a schema prefix of this test's own, its schemas dropped afterwards."""
    dsn, name = postgres_dsn(), f"plaza_stack_test_{uuid.uuid4().hex[:12]}"
    try:
        yield dsn, name
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE %s",
                (name + "%",),
            ).fetchall()
            for (schema,) in rows:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


class Output:
    """The stack's terminal, read on a thread, line by line."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()  # None: the output ended
        assert process.stdout is not None
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def close(self, process: subprocess.Popen[str]) -> None:
        """Once the stack has exited: its output read to the end, the pipe closed."""
        self._thread.join(timeout=10)
        if process.stdout is not None:
            process.stdout.close()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, prefix: str, *, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                break  # the stack exited: the line will not come
            self.lines.append(line)
            if line.startswith(prefix):
                return line
        tail = "\n".join(self.lines[-30:])
        raise AssertionError(f"no line starting {prefix!r}; the output ended:\n{tail}")


class Received:
    """MQTT messages on one topic filter, from subscription on."""

    def __init__(self, host: str, port: int, topic: str) -> None:
        self.topics: queue.Queue[str] = queue.Queue()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self.client.on_connect = lambda client, *_: client.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = lambda _c, _u, message: self.topics.put(message.topic)
        self.client.connect(host, port)
        self.client.loop_start()
        assert self._subscribed.wait(10), "the MQTT subscription was not acknowledged"

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def _check_flows(home: Path, banner: str, mqtt_at: tuple[str, int]) -> None:
    state = json.loads((home / "stack.json").read_text())
    urls = {child["name"]: child["url"] for child in state["children"]}
    web = banner.split()[2]
    for name in ("node-0", "node-1"):
        assert httpx.get(f"{urls[name]}/api/v1/info", timeout=5).status_code == 200
    now = int(time.time() * 1000)
    terms = OrderTerms("energy", 10, 3, now, now + _HOUR_MS)
    seller, buyer = Identity.generate(), Identity.generate()
    with (
        MarketClient(urls["market"], identity=seller) as selling,
        MarketClient(urls["market"], identity=buyer) as buying,
    ):
        seller_id = selling.register("stack test seller", roles=[Role.PROVIDER]).id
        buying.register("stack test buyer", roles=[Role.CONSUMER])
        received = Received(*mqtt_at, f"plaza/{seller_id}/#")
        try:
            offer = selling.offer(terms).order.id
            market_page = httpx.get(f"{web}/market", timeout=10)
            assert market_page.status_code == 200
            assert offer in market_page.text
            listing = httpx.get(f"{web}/market/{offer}", timeout=10)
            assert listing.status_code == 200
            assert seller_id in listing.text  # the owner, read from the market over HTTP
            [contract] = buying.request(terms).contracts
            topic = received.topics.get(timeout=30)  # through Redis jobs to Mosquitto
            assert topic.startswith(f"plaza/{seller_id}/")
        finally:
            received.close()
        assert selling.contract(contract.id).signed == contract.signed
    streams = httpx.get(f"{web}/streams", timeout=10)
    assert streams.status_code == 200
    assert "stack air sensor" in streams.text
    assert "stack noise meter" in streams.text  # the agent selling the MQTT meter's readings


def _check_account(web: str, dsn: str, prefix: str) -> None:
    """A person signs up on the web app; the account is in the accounts' PostgreSQL schema
    and the session opens the dashboard."""
    email = f"stack-{uuid.uuid4().hex[:8]}@example.org"
    with httpx.Client(base_url=web, timeout=10) as browser:
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', browser.get("/signup").text)
        assert found is not None
        form = {"csrf": found.group(1), "email": email, "password": _PASSWORD}
        signed_up = browser.post("/signup", data={**form, "confirm": _PASSWORD})
        assert signed_up.status_code == 303, signed_up.text[-500:]
        dashboard = browser.get("/dashboard")
        assert dashboard.status_code == 200
        assert email in dashboard.text
    with psycopg.connect(dsn) as conn:
        table = sql.Identifier(f"{prefix}_accounts", "accounts")
        query = sql.SQL("SELECT count(*) FROM {} WHERE email = %s").format(table)
        assert conn.execute(query, (email,)).fetchone() == (1,)


def _check_meter(mqtt_at: tuple[str, int], prefix: str) -> None:
    """The stack's device publishes its readings on MQTT, where its sensor agent reads them."""
    received = Received(*mqtt_at, f"plaza/stack/{prefix}/noise")
    try:
        assert received.topics.get(timeout=30) == f"plaza/stack/{prefix}/noise"
    finally:
        received.close()


def _command(
    home: Path,
    dsn: str,
    redis_url: str,
    mqtt_at: tuple[str, int],
    base: int,
    web_port: int,
    prefix: str,
) -> list[str]:
    mqtt_address = f"{mqtt_at[0]}:{mqtt_at[1]}"
    options = {
        "--home": str(home),
        "--postgres": dsn,
        "--redis": redis_url,
        "--mqtt": mqtt_address,
        "--nodes": "2",
        "--base-port": str(base),
        "--web-port": str(web_port),
        "--prefix": prefix,
    }
    flat = [part for option in options.items() for part in option]
    return [sys.executable, "-m", "plaza.cli.main", "stack", "up", *flat]


def _stack_down(home: Path) -> None:
    """``plaza stack down`` from another process: it stops the stack under ``home`` and says
    so, with nothing left over."""
    down = subprocess.run(
        [sys.executable, "-m", "plaza.cli.main", "stack", "down", "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert down.returncode == 0, down.stderr
    assert f"stopped the stack under {home}" in down.stdout
    assert "left over" not in down.stdout


def _end(process: subprocess.Popen[str], pids: list[int]) -> None:
    """After a failure: the stack stops its children; any it left are killed by id."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_the_stack_starts_serves_and_stops_cleanly(prefix: tuple[str, str], tmp_path: Path) -> None:
    dsn, name = prefix
    redis_url, mqtt_at = _redis(), _mqtt()
    base, web_port = _ports()
    home = tmp_path / "stack"
    command = _command(home, dsn, redis_url, mqtt_at, base, web_port, name)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = Output(process)
    pids: list[int] = []
    try:
        banner = output.wait_for("Plaza stack http", timeout=120)
        pids = [child["pid"] for child in json.loads((home / "stack.json").read_text())["children"]]
        assert len(pids) == 8  # two nodes, market, web app, service, two sensors, a meter
        _check_flows(home, banner, mqtt_at)
        _check_meter(mqtt_at, name)
        _check_account(banner.split()[2], dsn, name)
        _stack_down(home)
        output.wait_for("plaza stack: stopped", timeout=60)
        assert process.wait(timeout=30) == 0
    finally:
        _end(process, pids)
        output.close(process)
        _clear_jobs(redis_url)
    assert [pid for pid in pids if alive(pid)] == []
    assert not (home / "stack.json").exists()
    logs = {path.name for path in (home / "logs").iterdir()}
    names = ("node-0", "node-1", "market", "web", "service", "sensor", "meter", "sensor-noise")
    assert logs == {f"{name}.log" for name in names}


def test_a_child_that_cannot_start_is_named_and_the_rest_stopped(
    prefix: tuple[str, str], tmp_path: Path
) -> None:
    """The marketplace's port is taken: the stack names the market, its port and its log,
    stops the nodes it started and exits 1."""
    dsn, name = prefix
    redis_url, mqtt_at = _redis(), _mqtt()
    base, web_port = _ports()
    home = tmp_path / "stack"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", base + 10))
        taken.listen()
        finished = subprocess.run(
            [*_command(home, dsn, redis_url, mqtt_at, base, web_port, name)],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    assert finished.returncode == 1, finished.stdout[-2000:]
    log = home / "logs" / "market.log"
    assert f"plaza stack up: market (port {base + 10}, log {log}) exited with code" in (
        finished.stdout
    )
    assert "plaza stack: node-1 stopped" in finished.stdout
    assert "plaza stack: node-0 stopped" in finished.stdout
    assert "Plaza stack http" not in finished.stdout
    assert _free(base)  # the nodes' listeners are gone
    assert _free(base + 1)
    assert not (home / "stack.json").exists()
