"""Sensor data streams over a real node's and a real marketplace's HTTP APIs (issue 12):
every purchase an order and a contract in the market, with subscriptions that end.

A sensor agent runs in a thread against the node and keeps its standing offer in the
marketplace; a buyer finds it by tag, makes a contract for some seconds of it (a request
meeting that offer), pays the contract with its X25519 key beside it, gets its grant
sealed to that key and reads. The subscription lapses and the next epoch is closed to it;
a renewal (another contract) opens it again; a contract paid less than its total, or for
less than the sensor's minimum, comes back with its reason; a contract paid while the
sensor is down is honoured when it restarts. Every payment the sensor served is a
contract's, and the contracts are fulfilled once reported. Periods are seconds long so
the test runs in seconds.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from market_server import RunningMarket, serve_market
from node_server import RunningNode
from stream_market_buyer import MarketBuyer, market_buyer

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.channels import AccessExpired, Delivery, Reader
from plaza.clock import SystemClock
from plaza.crypto import EncryptionKey, Identity
from plaza.market.settlement import Phase
from plaza.streams import Reading, Sensor, Terms
from plaza.streams.buyer import (
    Refunded,
    discover,
    find_sensor,
    follow,
    grants,
    history,
    refunds,
    wait_for_grant,
)
from plaza.streams.sensor.agent import SensorAgent, SensorConfig
from plaza.streams.sensor.home import SensorHome
from plaza.wallet import KdfParams, Wallet

CLOCK = SystemClock()
T = TypeVar("T")
#: 100 base units buy 2 s (180,000 an hour in the marketplace); at least 2 s at once.
TERMS = Terms(price=100, period_ms=2_000, minimum_ms=2_000)


def _eventually(probe: Callable[[], T | None], *, timeout_s: float = 15.0) -> T:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(0.05)
    raise AssertionError(f"nothing within {timeout_s} s")


@contextmanager
def _running(
    node: RunningNode, market: RunningMarket, home: SensorHome, config: SensorConfig
) -> Iterator[SensorAgent]:
    """The sensor agent of ``home`` running in a thread with its own node client, selling
    through ``market``."""
    with node.client() as client:
        gateway = RemoteLedger(client, clock=CLOCK)
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
    assert not thread.is_alive()


@pytest.fixture(scope="module")
def market(node: RunningNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMarket]:
    with serve_market(tmp_path_factory.mktemp("market"), node_url=node.url) as running:
        yield running


@pytest.fixture
def gateway(node: RunningNode) -> Iterator[RemoteLedger]:
    with node.client() as client:
        yield RemoteLedger(client, clock=CLOCK, follow_timeout=20.0)


@pytest.fixture
def wallet(gateway: RemoteLedger, tmp_path: Path) -> Wallet:
    password = secrets.token_hex(16)
    created, _ = Wallet.create(
        tmp_path / "buyer.json", password, gateway=gateway, clock=CLOCK, kdf=KdfParams.MINIMUM
    )
    created.request_faucet(wait=True)
    return created


@dataclass
class Scene:
    """The buyer's side of the test: the node, its wallet, its key, and the sensor found."""

    gateway: RemoteLedger
    buyer: MarketBuyer
    sensor: Sensor

    @property
    def reader(self) -> EncryptionKey:
        return self.buyer.reader


def _config(directory: bytes) -> SensorConfig:
    return SensorConfig(
        "air-porta-nuova",
        45.0703,
        7.6869,
        TERMS,
        description="PM2.5, NO2, temperature",
        interval_s=0.25,
        poll_s=0.05,
        directory=directory,
    )


def test_a_buyer_subscribes_lapses_renews_and_is_refunded_and_served_after_a_restart(
    node: RunningNode,
    market: RunningMarket,
    gateway: RemoteLedger,
    wallet: Wallet,
    tmp_path: Path,
) -> None:
    config = _config(f"streams-{secrets.token_hex(4)}".encode())
    home, reader = SensorHome(tmp_path / "sensor"), Identity.generate().encryption
    with (
        market_buyer(market.url, wallet, reader) as buyer,
        _running(node, market, home, config) as agent,
    ):
        sensor = _eventually(lambda: _found(gateway, config.directory))
        assert sensor.announcement == agent.announcement()
        assert sensor.owner == agent.identity.public_key
        _eventually(lambda: agent.book.fact("offer"))
        scene = Scene(gateway, buyer, sensor)
        paid, first = _subscribe(scene)
        ended = _lapse(scene, agent, first)
        _renew(scene, first, ended)
        short = _underpay(scene)
        position_before = agent.publisher.position

    # The sensor is down; a contract made and paid meanwhile is honoured when it is back.
    with market_buyer(market.url, wallet, reader) as buyer:
        down, _ = buyer.buy(sensor, 4)
        with _running(node, market, home, config) as agent:
            third = wait_for_grant(gateway, reader, sensor, known=2)
            assert third.reader_key.position >= position_before  # the chain went on
            assert _eventually(lambda: _after(history(gateway, reader, [third]), third))
            book = {p.message_id: p for p in agent.book.payments()}
            assert book[paid].state == "delivered"
            assert all(book[m].state == "refunded" for m in short)
            served = [p for p in book.values() if p.state == "delivered"]
            assert len(served) == 3
            assert all(p.contract is not None for p in served)  # every purchase a contract
            assert down.id in {p.contract for p in served}
    assert len(grants(gateway, reader, sensor)) == 3


def _subscribe(scene: Scene) -> tuple[bytes, Delivery]:
    """A contract for 3 s (150), paid: the grant arrives sealed to the buyer's key, readings
    open, and the contract, its payment reported, is fulfilled."""
    record, paid = scene.buyer.buy(scene.sensor, 3)
    assert record.signed.total == 150
    confirmed = time.monotonic()
    first = wait_for_grant(scene.gateway, scene.reader, scene.sensor)
    print(f"grant after payment confirmed: {time.monotonic() - confirmed:.3f} s")
    assert first.reader_key.expires_at_ms is not None
    readings = _eventually(lambda: history(scene.gateway, scene.reader, [first]) or None)
    assert set(readings[0][1].values) == {"pm25", "no2", "temperature"}
    # live: a reading published after the follower started arrives as it is confirmed
    started_ms = CLOCK.now_ms()
    followed = follow(scene.gateway, scene.reader, first)
    live = next(reading for _, reading in followed if reading.at_ms >= started_ms)
    assert CLOCK.now_ms() - live.at_ms < 2_000
    scene.buyer.client.report_payment(record.id, paid)
    assert _eventually(lambda: scene.buyer.phase(record.id) is Phase.FULFILLED or None)
    return paid, first


def _lapse(scene: Scene, agent: SensorAgent, first: Delivery) -> AccessExpired:
    """The period ends: the next epoch is not wrapped for the buyer."""
    cursor = Reader(scene.gateway, first.reader_key, encryption_key=scene.reader)
    ended = _eventually(lambda: _read_until_ended(cursor), timeout_s=10)
    assert ended.position > first.reader_key.position
    _eventually(lambda: agent.publisher.position > ended.position + 2 or None)
    with pytest.raises(AccessExpired):
        list(Reader(scene.gateway, first.reader_key, encryption_key=scene.reader).read())
    return ended


def _renew(scene: Scene, first: Delivery, ended: AccessExpired) -> None:
    """A renewal after the lapse starts from now, at a later position, and reads again;
    what was published while it had lapsed stays closed."""
    scene.buyer.buy(scene.sensor, 2)
    second = wait_for_grant(scene.gateway, scene.reader, scene.sensor, known=1)
    assert second.reader_key.position > ended.position
    both = [first, second]
    renewed = _eventually(lambda: _after(history(scene.gateway, scene.reader, both), second))
    closed = range(ended.position, second.reader_key.position + 1)
    assert not [position for position, _ in renewed if position in closed]


def _underpay(scene: Scene) -> list[bytes]:
    """A contract paid less than its total, and one for less than the sensor's minimum, are
    refunded whole, with the reason; neither grants anything."""
    _, short = scene.buyer.buy(scene.sensor, 3, pay=100)
    _, brief = scene.buyer.buy(scene.sensor, 1)
    wallet = scene.buyer.wallet
    refund = _eventually(lambda: _refund_of(scene.gateway, wallet, short))
    assert (refund.amount, refund.reason) == (100, "it pays 100, the contract's total is 150")
    refund = _eventually(lambda: _refund_of(scene.gateway, wallet, brief))
    assert refund.amount == 50
    assert refund.reason == "the contract buys 1 s, below the minimum of 2000 ms"
    assert len(grants(scene.gateway, scene.reader, scene.sensor)) == 2
    return [short, brief]


def _found(gateway: RemoteLedger, directory: bytes) -> Sensor | None:
    sensors = discover(gateway, directory=directory)
    return find_sensor(sensors, "air-porta-nuova") if sensors else None


def _read_until_ended(cursor: Reader) -> AccessExpired | None:
    try:
        for _ in cursor.read():
            pass
    except AccessExpired as ended:
        return ended
    return None


def _after(
    readings: list[tuple[int, Reading]], delivery: Delivery
) -> list[tuple[int, Reading]] | None:
    start = delivery.reader_key.position
    return readings if any(position > start for position, _ in readings) else None


def _refund_of(gateway: RemoteLedger, wallet: Wallet, payment_id: bytes) -> Refunded | None:
    return next((r for r in refunds(gateway, wallet) if r.payment_id == payment_id), None)
