"""Sensor data streams over a real node's HTTP API (issue 12): the PEGASUS purchase, with
subscriptions that end.

A sensor agent runs in a thread against the node; a buyer finds it by tag, pays with
its X25519 key in the transfer, gets its grant sealed to that key and reads. The
subscription lapses and the next epoch is closed to it; a renewal opens it again; an
underpayment comes back with its reason; a payment made while the sensor is down is
honoured when it restarts. The buyer reads its history and follows live. Periods are
seconds long so the test runs in seconds.
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
from node_server import RunningNode

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.channels import AccessExpired, Delivery, Reader
from plaza.clock import SystemClock
from plaza.crypto import EncryptionKey, Identity
from plaza.streams import Reading, Sensor, Terms
from plaza.streams.buyer import (
    Refunded,
    buy,
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
#: 100 base units buy 2 s; at least 1 s (50 units) at once.
TERMS = Terms(price=100, period_ms=2_000, minimum_ms=1_000)


def _eventually(probe: Callable[[], T | None], *, timeout_s: float = 15.0) -> T:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(0.05)
    raise AssertionError(f"nothing within {timeout_s} s")


@contextmanager
def _running(node: RunningNode, home: SensorHome, config: SensorConfig) -> Iterator[SensorAgent]:
    """The sensor agent of ``home`` running in a thread with its own node client."""
    with node.client() as client:
        agent = SensorAgent.open(home, RemoteLedger(client, clock=CLOCK), config, clock=CLOCK)
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
    wallet: Wallet
    reader: EncryptionKey
    sensor: Sensor


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
    node: RunningNode, gateway: RemoteLedger, wallet: Wallet, tmp_path: Path
) -> None:
    config = _config(f"streams-{secrets.token_hex(4)}".encode())
    home, reader = SensorHome(tmp_path / "sensor"), Identity.generate().encryption
    with _running(node, home, config) as agent:
        sensor = _eventually(lambda: _found(gateway, config.directory))
        assert sensor.announcement == agent.announcement()
        assert sensor.owner == agent.identity.public_key
        scene = Scene(gateway, wallet, reader, sensor)
        paid, first = _subscribe(scene)
        ended = _lapse(scene, agent, first)
        _renew(scene, first, ended)
        short = _underpay(scene)
        position_before = agent.publisher.position

    # The sensor is down; a payment made meanwhile is honoured when it is back.
    buy(wallet, sensor, reader, 200)
    with _running(node, home, config) as agent:
        third = wait_for_grant(gateway, reader, sensor, known=2)
        assert third.reader_key.position >= position_before  # the chain went on
        assert _eventually(lambda: _after(history(gateway, reader, [third]), third))
        book = {p.message_id: p.state for p in agent.book.payments()}
        assert book[paid] == "delivered"
        assert book[short] == "refunded"
    assert len(grants(gateway, reader, sensor)) == 3


def _subscribe(scene: Scene) -> tuple[bytes, Delivery]:
    """Pay 150 (3 s): the grant arrives sealed to the buyer's key, and readings open."""
    paid = buy(scene.wallet, scene.sensor, scene.reader, 150)
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
    return paid.message_ids[0], first


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
    buy(scene.wallet, scene.sensor, scene.reader, 100)
    second = wait_for_grant(scene.gateway, scene.reader, scene.sensor, known=1)
    assert second.reader_key.position > ended.position
    both = [first, second]
    renewed = _eventually(lambda: _after(history(scene.gateway, scene.reader, both), second))
    closed = range(ended.position, second.reader_key.position + 1)
    assert not [position for position, _ in renewed if position in closed]


def _underpay(scene: Scene) -> bytes:
    """Too little is refunded, with the reason."""
    short = buy(scene.wallet, scene.sensor, scene.reader, 10)
    refund = _eventually(lambda: _refund_of(scene.gateway, scene.wallet, short.message_ids[0]))
    assert refund.amount == 10
    assert "below the minimum of 1000 ms" in refund.reason
    return short.message_ids[0]


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
