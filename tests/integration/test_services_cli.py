"""``plaza service run`` as a real process, ``plaza service call`` against it, over a real node.

The provider runs as ``python -m plaza.cli.main service run services_examples:...``
(this folder on its ``PYTHONPATH``); the customer's command runs in this process
(Typer's runner) with its wallet's password in the environment. One test kills the
provider with SIGKILL between accepting a call and releasing it, starts it again on
the same data directory, and checks the call ends paid with its result readable,
or refunded: never both, never neither.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from node_server import RunningNode
from test_services_gateway import upstream_app
from typer.testing import CliRunner

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.api.serving import ThreadedServer
from plaza.cli.main import app
from plaza.clients.node import NodeClient
from plaza.clock import SystemClock
from plaza.crypto import Address
from plaza.services import CallFailed, CallRefunded
from plaza.services.customer import call, find_service
from plaza.services.gateway import paid_request
from plaza.wallet import KdfParams, Wallet

PASSWORD = "services test password"
HERE = Path(__file__).parent
CLOCK = SystemClock()


class Provider:
    """The provider process of one data directory, started and stopped by the test."""

    def __init__(self, node: RunningNode, data: Path, reference: str) -> None:
        self.data, self.log = data, data.parent / "provider.log"
        options = ["--data", str(data), "--node", node.url, "--poll", "0.05", "--allowance", "20"]
        self.command = [
            sys.executable,
            "-m",
            "plaza.cli.main",
            "service",
            "run",
            reference,
            *options,
        ]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path])}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=log, env=env)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(timeout=20)


@pytest.fixture
def wallet(node: RunningNode, tmp_path: Path) -> Path:
    path = tmp_path / "customer.json"
    with node.client() as client:
        gateway = RemoteLedger(client, clock=CLOCK)
        created, _ = Wallet.create(
            path, PASSWORD, gateway=gateway, clock=CLOCK, kdf=KdfParams.MINIMUM
        )
        created.request_faucet(wait=True)
    return path


@pytest.fixture
def provider(
    node: RunningNode, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Provider]:
    running = Provider(node, tmp_path / "provider", request.param)
    running.start()
    try:
        yield running
    finally:
        if running.process is not None and running.process.poll() is None:
            running.stop(signal.SIGKILL)


def _announced(node: RunningNode, name: str, *, after_ms: int = 0) -> str:
    """The endpoint of ``name``'s latest announcement made after ``after_ms``."""
    deadline = time.monotonic() + 30
    with NodeClient(node.url) as client:
        ledger = RemoteLedger(client, clock=CLOCK)
        while time.monotonic() < deadline:
            try:
                found = find_service(ledger, name)
                if httpx.get(f"{found.endpoint}/service", timeout=1).status_code == 200:
                    return found.endpoint
            except (CallFailed, httpx.HTTPError):
                pass
            time.sleep(0.1)
    raise AssertionError(f"{name} was never announced")


@pytest.mark.parametrize("provider", ["services_examples:forecast"], indirect=True)
def test_a_provider_process_sells_to_the_call_command(
    node: RunningNode, provider: Provider, wallet: Path, tmp_path: Path
) -> None:
    _announced(node, "forecast")
    env = {"PLAZA_WALLET_PASSWORD": PASSWORD}
    common = ["--wallet", str(wallet), "--node", node.url, "--calls", str(tmp_path / "calls")]
    done = CliRunner().invoke(
        app, ["service", "call", "forecast", '{"place":"Roma"}', *common], env=env
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.output) == {"place": "Roma", "forecast": "sun", "max_c": 21}
    failed = CliRunner().invoke(
        app, ["service", "call", "forecast", '{"place":"Atlantis"}', *common], env=env
    )
    assert failed.exit_code == 1
    assert "failed and was refunded: no forecast for Atlantis" in failed.output
    listed = CliRunner().invoke(app, ["service", "list", "--node", node.url])
    assert "forecast" in listed.output
    assert provider.stop() == 0
    status = CliRunner().invoke(app, ["service", "status", "--data", str(provider.data)])
    assert "paid      1" in status.output
    assert "refunded  1" in status.output
    assert "revenue   25" in status.output
    for secret in ("identity.json", "calls.sqlite3", "cursors.sqlite3"):
        assert stat.S_IMODE((provider.data / secret).stat().st_mode) == 0o600
    assert stat.S_IMODE(provider.data.stat().st_mode) == 0o700


def _wait_for_state(endpoint: str, call_id: bytes, state: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        response = httpx.get(f"{endpoint}/calls/{call_id.hex()}", timeout=2)
        if response.status_code == 200 and any(
            c["state"] == state for c in response.json()["calls"]
        ):
            return
        time.sleep(0.05)
    raise AssertionError(f"call {call_id.hex()} never {state}")


@pytest.mark.parametrize("provider", ["services_examples:slow_forecast"], indirect=True)
def test_a_provider_killed_mid_call_finishes_or_refunds_it_after_a_restart(
    node: RunningNode, provider: Provider, wallet: Path
) -> None:
    endpoint = _announced(node, "slow-forecast")
    call_id, outcome = bytes(range(16, 32)), {}
    with NodeClient(node.url) as client:
        ledger = RemoteLedger(client, clock=CLOCK)
        payer = Wallet.open(wallet, PASSWORD, gateway=ledger, clock=CLOCK).export_identity()
        pay_to = find_service(ledger, "slow-forecast").payment_address()
        before = client.balance(Address.from_public_key(payer.public_key.raw)).balance

    def customer() -> None:
        with NodeClient(node.url) as client:
            ledger = RemoteLedger(client, clock=CLOCK)
            described = find_service(ledger, "slow-forecast")
            job = {"place": "Bari", "seconds": 2}
            try:
                outcome["result"] = call(
                    ledger, payer.signing, described, job, clock=CLOCK, call_id=call_id
                )
            except CallFailed as error:
                outcome["error"] = error

    paying = threading.Thread(target=customer)
    paying.start()
    _wait_for_state(endpoint, call_id, "accepted")
    provider.stop(signal.SIGKILL)  # between acceptance and release: the job was running
    provider.start()
    paying.join(timeout=60)
    assert not paying.is_alive()
    with NodeClient(node.url) as client:
        after = client.balance(Address.from_public_key(payer.public_key.raw)).balance
        earned = client.balance(pay_to).balance
    if "result" in outcome:
        assert outcome["result"] == {"place": "Bari", "forecast": "rain"}
        assert (after, earned) == (before - 30, 30)
    else:
        assert isinstance(outcome["error"], CallRefunded), outcome
        assert (after, earned) == (before, 0)
    assert provider.stop() == 0


def test_the_gateway_command_sells_an_upstream_per_request(
    node: RunningNode, wallet: Path, tmp_path: Path
) -> None:
    calls: list[str] = []
    log = tmp_path / "gateway.log"
    with ThreadedServer(upstream_app(calls)) as upstream, log.open("wb") as output:
        command = [
            sys.executable,
            "-m",
            "plaza.cli.main",
            "service",
            "gateway",
            "--upstream",
            upstream.url,
            "--price",
            "7",
            "--port",
            "0",
            "--data",
            str(tmp_path / "gateway"),
            "--node",
            node.url,
        ]
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            url = _printed_url(log, "gateway")
            with NodeClient(node.url) as client, httpx.Client(timeout=10) as http:
                ledger = RemoteLedger(client, clock=CLOCK)
                payer = Wallet.open(wallet, PASSWORD, gateway=ledger, clock=CLOCK)
                paid = paid_request(
                    ledger,
                    payer.export_identity().signing,
                    http,
                    "GET",
                    f"{url}/forecast?place=Lecce",
                    max_price=7,
                )
            assert paid.response.json() == {"place": "Lecce", "forecast": "sun"}
            assert paid.receipt is not None
            assert paid.receipt.paid
            assert calls == ["Lecce"]
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0


def _printed_url(log: Path, label: str) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            if line.startswith(label):
                return line.split()[-1]
        time.sleep(0.05)
    raise AssertionError(f"no {label} URL in {log.read_text()!r}")
