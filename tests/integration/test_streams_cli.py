"""``plaza sensor run`` as a real process and ``plaza stream`` against it, over a real node
and a real marketplace.

The sensor runs as ``python -m plaza.cli.main sensor run --market`` with a short
interval; the buyer's commands run in this process (Typer's runner), with the wallet's
password in the environment, buying through the marketplace. A direct payment (the
PEGASUS way) comes back with its reason. Stopping the sensor (SIGTERM) exits 0; started
again on the same data directory it continues its channel.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from market_server import RunningMarket, serve_market
from node_server import RunningNode
from notify_support import free_port
from typer.testing import CliRunner, Result

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.cli.main import app
from plaza.clock import SystemClock
from plaza.crypto import Identity
from plaza.streams.buyer import buy, discover
from plaza.wallet import KdfParams, Wallet

PASSWORD = "streams test password"


class Sensor:
    """The sensor process of one data directory, started and stopped by the test."""

    def __init__(self, node: RunningNode, market: RunningMarket, data: Path, tag: str) -> None:
        self.data, self.log = data, data.parent / "sensor.log"
        options = {
            "--name": "noise-via-roma",
            "--lat": "45.0677",
            "--lon": "7.6825",
            "--price": "100",
            "--period": "2s",
            "--minimum": "2s",
            "--profile": "noise",
            "--interval": "0.3",
            "--poll": "0.1",
            "--data": str(data),
            "--node": node.url,
            "--market": market.url,
            "--tag": tag,
        }
        flags = [part for pair in options.items() for part in pair]
        self.command = [sys.executable, "-m", "plaza.cli.main", "sensor", "run", *flags]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=log)

    def stop(self) -> int:
        assert self.process is not None
        self.process.terminate()
        return self.process.wait(timeout=20)


@pytest.fixture
def tag() -> str:
    return f"streams-cli-{secrets.token_hex(4)}"


@pytest.fixture(scope="module")
def market(node: RunningNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMarket]:
    with serve_market(tmp_path_factory.mktemp("market"), node_url=node.url) as running:
        yield running


@pytest.fixture
def sensor(node: RunningNode, market: RunningMarket, tmp_path: Path, tag: str) -> Iterator[Sensor]:
    running = Sensor(node, market, tmp_path / "sensor", tag)
    running.start()
    try:
        yield running
    finally:
        if running.process is not None and running.process.poll() is None:
            running.stop()


@pytest.fixture
def wallet(node: RunningNode, tmp_path: Path) -> Path:
    path = tmp_path / "buyer.json"
    with node.client() as client:
        gateway = RemoteLedger(client, clock=SystemClock())
        created, _ = Wallet.create(
            path, PASSWORD, gateway=gateway, clock=SystemClock(), kdf=KdfParams.MINIMUM
        )
        created.request_faucet(wait=True)
    return path


def _stream(
    node: RunningNode, tag: str, home: Path, wallet: Path, *args: str, market: str = ""
) -> Result:
    env = {"PLAZA_WALLET_PASSWORD": PASSWORD, "PLAZA_MARKET": market}
    common = ["--node", node.url, "--tag", tag]
    if args[0] in {"buy", "follow", "history", "subscriptions"}:
        common += ["--home", str(home)]
    if args[0] == "buy":
        common += ["--wallet", str(wallet)]
    return CliRunner().invoke(app, ["stream", *args, *common], env=env)


def _announced(node: RunningNode, tag: str, home: Path, wallet: Path) -> dict[str, object]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        listed = _stream(node, tag, home, wallet, "sensors", "--json")
        assert listed.exit_code == 0, listed.output
        if listed.output.strip():
            found: dict[str, object] = json.loads(listed.output.splitlines()[0])
            return found
        time.sleep(0.1)
    raise AssertionError("the sensor never announced")


def _refunds(node: RunningNode, wallet: Path) -> str:
    """``plaza stream refunds`` once it lists one."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        listed = CliRunner().invoke(
            app,
            ["stream", "refunds", "--wallet", str(wallet), "--node", node.url],
            env={"PLAZA_WALLET_PASSWORD": PASSWORD},
        )
        assert listed.exit_code == 0, listed.output
        if listed.output.strip():
            return listed.output
        time.sleep(0.1)
    raise AssertionError("no refund came back")


def test_a_sensor_process_sells_its_stream_to_the_buyers_commands(
    node: RunningNode,
    market: RunningMarket,
    sensor: Sensor,
    wallet: Path,
    tmp_path: Path,
    tag: str,
) -> None:
    home = tmp_path / "buyer"
    found = _announced(node, tag, home, wallet)
    assert found["name"] == "noise-via-roma"
    assert found["types"] == [["laeq", "dB(A)"]]

    buying = ("buy", "noise-via-roma", "--period")
    bought = _buy_when_offered(node, tag, home, wallet, market.url)
    assert "paid 150 for 3 s" in bought.output
    assert "granted until" in bought.output
    held = _stream(node, tag, home, wallet, "subscriptions")
    assert held.exit_code == 0, held.output
    assert "noise-via-roma" in held.output
    assert " s left" in held.output
    followed = _followed(node, tag, home, lines=2)
    assert [set(line) for line in followed] == [{"position", "at_ms", "laeq"}] * 2
    download = tmp_path / "readings.csv"
    history = ["history", str(found["id"])[:12], "--format", "csv", "--output", str(download)]
    saved = _stream(node, tag, home, wallet, *history)
    assert saved.exit_code == 0, saved.output
    rows = download.read_text().splitlines()
    assert rows[0] == "position,at_ms,laeq"
    assert len(rows) >= 3

    short = _stream(node, tag, home, wallet, *buying, "1s", market=market.url)
    assert short.exit_code == 1
    assert "1s is below the sensor's minimum of 2000 ms" in short.output
    _pay_directly(node, tag, wallet, 100)
    refunded = _refunds(node, wallet)
    assert "       100  for " in refunded
    assert "sells through its marketplace only: buy with plaza stream buy --market" in refunded

    _stopped_cleanly(sensor)

    sensor.start()  # the same data directory: the same sensor, selling on
    again = _stream(node, tag, home, wallet, *buying, "2s", market=market.url)
    assert again.exit_code == 0, again.output
    assert "paid 100 for 2 s" in again.output
    assert "granted until" in again.output


def _buy_when_offered(node: RunningNode, tag: str, home: Path, wallet: Path, market: str) -> Result:
    """``plaza stream buy --period 3s`` once the sensor's standing offer is in the market
    (until then its request meets no offer)."""
    deadline = time.monotonic() + 20
    while True:
        bought = _stream(
            node, tag, home, wallet, "buy", "noise-via-roma", "--period", "3s", market=market
        )
        if bought.exit_code == 0 or "has no open offer" not in bought.output:
            break
        assert time.monotonic() < deadline, bought.output
        time.sleep(0.2)
    assert bought.exit_code == 0, bought.output
    return bought


def _pay_directly(node: RunningNode, tag: str, wallet: Path, amount: int) -> None:
    """A payment to the sensor the PEGASUS way (its key in the transfer), with no order."""
    with node.client() as client:
        gateway = RemoteLedger(client, clock=SystemClock())
        paying = Wallet.open(wallet, PASSWORD, gateway=gateway, clock=SystemClock())
        [found] = discover(gateway, directory=tag.encode())
        buy(paying, found, Identity.generate().encryption, amount)


def _followed(node: RunningNode, tag: str, home: Path, *, lines: int) -> list[dict[str, object]]:
    """The first ``lines`` of ``plaza stream follow --json``, run as a process and stopped."""
    command = [sys.executable, "-m", "plaza.cli.main", "stream", "follow", "noise-via-roma"]
    options = ["--json", "--node", node.url, "--tag", tag, "--home", str(home)]
    with subprocess.Popen([*command, *options], stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            return [json.loads(process.stdout.readline()) for _ in range(lines)]
        finally:
            process.terminate()


def _stopped_cleanly(sensor: Sensor) -> None:
    """SIGTERM exits 0; its secrets are 0600 in a 0700 folder; its book says what it did."""
    assert sensor.stop() == 0
    assert stat.S_IMODE(os.stat(sensor.data).st_mode) == 0o700
    for secret in ("wallet.json", "wallet.password", "cursors.sqlite3", "sensor.sqlite3"):
        assert stat.S_IMODE(os.stat(sensor.data / secret).st_mode) == 0o600, secret
    status = CliRunner().invoke(app, ["sensor", "status", "--data", str(sensor.data)])
    assert status.exit_code == 0, status.output
    assert "delivered" in status.output
    assert "refunded" in status.output
    assert "revenue 150" in status.output  # the contract's; the direct payment went back


def test_a_bad_duration_or_an_unknown_sensor_is_one_clear_line(
    node: RunningNode, tmp_path: Path, tag: str, wallet: Path
) -> None:
    home = tmp_path / "buyer"
    unknown = _stream(node, tag, home, wallet, "history", "nowhere")
    assert unknown.exit_code == 1
    assert "sensor 'nowhere': no sensor has that name or id" in unknown.output
    nowhere = _stream(node, tag, home, wallet, "buy", "nowhere", "--period", "1h")
    assert nowhere.exit_code == 1
    assert nowhere.output.strip() == (
        "error: a stream is bought through a marketplace: give --market URL or PLAZA_MARKET"
    )
    run = ["sensor", "run", "--name", "x", "--lat", "1", "--lon", "1", "--price", "1"]
    bad = CliRunner().invoke(app, [*run, "--period", "an hour"])
    assert bad.exit_code == 2
    assert "a duration like 90s" in bad.output
    data = ["--data", str(tmp_path / "sensor"), "--node", node.url]
    for extra, says in (
        (["--command", "true"], "declare what it reports"),
        (["--command", "true", "--mqtt", "h:1/t", "--types", "a:b"], "not both"),
        (["--mqtt", "localhost/topic", "--types", "a:b"], "host:port/topic"),
        (["--command", "true", "--types", "pm25"], "name:unit pairs"),
    ):
        refused = CliRunner().invoke(app, [*run, *data, *extra])
        assert refused.exit_code == 2, refused.output
        assert says in refused.output
    unreachable = ["--mqtt", f"127.0.0.1:{free_port()}/meters", "--types", "a:b"]
    down = CliRunner().invoke(app, [*run, *data, *unreachable])
    assert down.exit_code == 1
    assert "cannot reach the MQTT broker" in down.output
