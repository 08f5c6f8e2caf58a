"""A stream bought through the one marketplace (issue 12): an order and a contract, with
their twins on the ledger, paid with the buyer's key, granted by the sensor, fulfilled.

A real node (milestones every 0.2 s), a real marketplace on it (twins on), a sensor
agent selling through both, a buyer whose market identity is its wallet's address.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from market_server import MarketWorld, RunningMarket, market_world, serve_market
from node_server import RunningNode
from typer.testing import CliRunner

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.cli.main import app
from plaza.clients.market import MarketClient
from plaza.clock import SystemClock
from plaza.crypto import Identity
from plaza.market.auth import Role
from plaza.market.settlement import Phase
from plaza.streams import Sensor, Terms
from plaza.streams.buyer import buy, discover, history, wait_for_grant
from plaza.streams.market import (
    MARKET_PAYMENT_TAG,
    MarketPayment,
    ensure_participant,
    pay_contract,
    request_stream,
)
from plaza.streams.sensor import HandledPayment, SensorAgent, SensorConfig, SensorHome
from plaza.wallet import KdfParams, Wallet

CLOCK = SystemClock()
T = TypeVar("T")
TERMS = Terms(price=100, period_ms=2_000, minimum_ms=1_000)  # 180,000 an hour


def _eventually(probe: Callable[[], T | None], *, timeout_s: float = 20.0) -> T:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(0.05)
    raise AssertionError(f"nothing within {timeout_s} s")


@pytest.fixture(scope="module")
def market(node: RunningNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMarket]:
    with serve_market(tmp_path_factory.mktemp("market"), node_url=node.url) as running:
        yield running


@pytest.fixture(scope="module")
def world(market: RunningMarket) -> Iterator[MarketWorld]:
    cast = market_world(market)
    try:
        yield cast
    finally:
        cast.close()


@pytest.fixture
def gateway(node: RunningNode) -> Iterator[RemoteLedger]:
    with node.client() as client:
        yield RemoteLedger(client, clock=CLOCK, follow_timeout=20.0)


@pytest.fixture
def sensor_agent(node: RunningNode, market: RunningMarket, tmp_path: Path) -> Iterator[SensorAgent]:
    config = SensorConfig(
        "traffic-corso-francia",
        45.0781,
        7.6403,
        TERMS,
        profile="traffic",
        interval_s=0.25,
        poll_s=0.05,
        directory=f"streams-market-{secrets.token_hex(4)}".encode(),
    )
    with node.client() as client:
        gateway = RemoteLedger(client, clock=CLOCK)
        home = SensorHome(tmp_path / "sensor")
        agent = SensorAgent.open(home, gateway, config, clock=CLOCK, market_url=market.url)
        stop = threading.Event()
        thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
        thread.start()
        try:
            yield agent
        finally:
            stop.set()
            thread.join(timeout=10)
            agent.close()


def test_a_purchase_is_an_order_and_a_contract_with_twins_paid_granted_and_fulfilled(
    sensor_agent: SensorAgent,
    gateway: RemoteLedger,
    market: RunningMarket,
    world: MarketWorld,
    tmp_path: Path,
) -> None:
    wallet, _ = Wallet.create(
        tmp_path / "buyer.json", "a password", gateway=gateway, clock=CLOCK, kdf=KdfParams.MINIMUM
    )
    wallet.request_faucet(wait=True)
    reader = Identity.generate().encryption
    directory = sensor_agent.config.directory
    sensor: Sensor = _eventually(lambda: next(iter(discover(gateway, directory=directory)), None))
    _eventually(lambda: sensor_agent.book.fact("offer"))

    with MarketClient(market.url, identity=wallet.export_identity()) as buyer:
        ensure_participant(buyer, "a city app", Role.CONSUMER)
        record = request_stream(buyer, sensor, 3, CLOCK.now_ms())
        assert record.signed.match.kind == "stream"
        assert record.signed.match.offer_id == sensor_agent.book.fact("offer")
        assert record.signed.total == 150  # 3 s at 180,000 an hour
        payment = pay_contract(buyer, wallet, sensor, record, reader)
        grant = wait_for_grant(gateway, reader, sensor)
        assert grant.reader_key.expires_at_ms is not None
        buyer.report_payment(record.id, payment.message_ids[0])
        fulfilled = _eventually(lambda: _phase(buyer, record.id, Phase.FULFILLED))
        assert fulfilled == Phase.FULFILLED

        # The same contract paid twice: the second payment comes back.
        memo = MarketPayment(record.id, reader.public_key).encode()
        pay_to = sensor.announcement.pay_to
        again = wallet.send(pay_to, 150, tag=MARKET_PAYMENT_TAG, data=memo, wait=True)
        refused = _eventually(lambda: _state(sensor_agent, again.message_ids[0], "refunded"))
        assert "is paid already" in refused

    assert _eventually(lambda: history(gateway, reader, [grant]) or None)
    report = _eventually(lambda: _clean_audit(world, record.id))
    assert report


def _phase(buyer: MarketClient, contract_id: str, wanted: Phase) -> Phase | None:
    settlement = buyer.contract(contract_id).settlement
    return wanted if settlement is not None and settlement.phase is wanted else None


def _state(agent: SensorAgent, message_id: bytes, wanted: str) -> str | None:
    handled = next((p for p in agent.book.payments() if p.message_id == message_id), None)
    return handled.detail if handled is not None and handled.state == wanted else None


def _clean_audit(world: MarketWorld, contract_id: str) -> bool | None:
    report = world.auditor.audit_contract(contract_id)
    verified = all(entry.signature_verified for entry in report.entries)
    return True if report.clean and report.entries and verified and report.confirmed else None


def test_plaza_stream_buy_with_a_market_makes_the_contract_and_reports_the_payment(
    sensor_agent: SensorAgent,
    gateway: RemoteLedger,
    node: RunningNode,
    market: RunningMarket,
    tmp_path: Path,
) -> None:
    path = tmp_path / "buyer.json"
    wallet, _ = Wallet.create(
        path, "a password", gateway=gateway, clock=CLOCK, kdf=KdfParams.MINIMUM
    )
    wallet.request_faucet(wait=True)
    directory = sensor_agent.config.directory
    _eventually(lambda: discover(gateway, directory=directory) or None)
    _eventually(lambda: sensor_agent.book.fact("offer"))
    options = ["--market", market.url, "--node", node.url, "--tag", directory.decode()]
    options += ["--wallet", str(path), "--home", str(tmp_path / "home")]
    bought = CliRunner().invoke(
        app,
        ["stream", "buy", "traffic-corso-francia", "--period", "4s", *options],
        env={"PLAZA_WALLET_PASSWORD": "a password"},
    )
    assert bought.exit_code == 0, bought.output
    assert "paid 200 for 4 s" in bought.output
    assert "granted until" in bought.output
    contract_id = bought.output.split()[1].rstrip(":")
    with MarketClient(market.url, identity=wallet.export_identity()) as buyer:
        assert _eventually(lambda: _phase(buyer, contract_id, Phase.FULFILLED))


def test_a_sensor_refunds_a_direct_payment_which_makes_no_order(
    node: RunningNode, gateway: RemoteLedger, market: RunningMarket, tmp_path: Path
) -> None:
    """A payment the PEGASUS way (the buyer's key in the transfer, no contract) comes back
    with the reason, from a sensor with a marketplace and from one with none."""
    wallet, _ = Wallet.create(
        tmp_path / "b.json", "a password", gateway=gateway, clock=CLOCK, kdf=KdfParams.MINIMUM
    )
    wallet.request_faucet(wait=True)
    for name, url, reason in (
        ("air-lingotto", market.url, "sells through its marketplace only: buy with plaza "),
        ("air-mirafiori", None, "sells through a marketplace only, and it has none yet"),
    ):
        tag = f"streams-direct-{secrets.token_hex(4)}".encode()
        config = SensorConfig(name, 45.03, 7.66, TERMS, directory=tag)
        home = SensorHome(tmp_path / name)
        agent = SensorAgent.open(home, gateway, config, clock=CLOCK, market_url=url)
        try:
            agent.start()
            [sensor] = discover(gateway, directory=tag)
            paid = buy(wallet, sensor, Identity.generate().encryption, 150)
            [handled] = _until_scanned(agent)
            assert handled.message_id == paid.message_ids[0]
            assert (handled.state, handled.contract) == ("refunded", None)
            assert reason in handled.detail
            assert agent.book.subscriptions() == []
        finally:
            agent.close()


def _until_scanned(agent: SensorAgent) -> list[HandledPayment]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        handled = agent.desk.scan()
        if handled:
            return handled
        time.sleep(0.1)
    raise AssertionError("the sensor never saw the payment")
