"""The sensor agent over a real node, step by step: a crash between serving a payment and
finishing it, re-announcing only on change, renewals from the current end, and how fast a
follower gets each reading.

The agent is driven by hand (``start``, ``desk.scan``, ``publish_reading``) instead of its
loop, so each test decides when a step happens; crashes are a ledger proxy failing one submit.
The sensor sells through a real marketplace; every purchase is a contract paid with the
buyer's key beside it.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from market_server import RunningMarket, serve_market
from node_server import RunningNode
from stream_market_buyer import MarketBuyer, market_buyer

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.bench._stats import percentile
from plaza.channels import Delivery, LedgerUnavailable
from plaza.channels.chain import inbox_tag
from plaza.clock import SystemClock
from plaza.crypto import EncryptionKey, Identity
from plaza.ledger.codec import decode_message
from plaza.streams import REFUND_TAG, Sensor, Terms
from plaza.streams.buyer import Refunded, discover, follow, refunds, wait_for_grant
from plaza.streams.sensor import SensorAgent, SensorConfig, SensorHome, SensorLedger
from plaza.testing.ledgers import LedgerProxy
from plaza.wallet import KdfParams, Wallet

CLOCK = SystemClock()
TERMS = Terms(price=100, period_ms=2_000, minimum_ms=1_000)


class CrashOn(LedgerProxy):
    """Fails the first submit of a message under ``tag``: before the node has it, or after."""

    def __init__(self, inner: RemoteLedger, tag: bytes, *, after: bool = False) -> None:
        super().__init__(inner)
        self.tag, self.after, self.crashed = tag, after, False

    def submit(self, raw: bytes) -> bytes:
        if not self.crashed and decode_message(raw).tag == self.tag:
            self.crashed = True
            if self.after:
                self.inner.submit(raw)
            raise LedgerUnavailable("the sensor crashed here")
        return self.inner.submit(raw)


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
    created, _ = Wallet.create(
        tmp_path / "buyer.json", "a password", gateway=gateway, clock=CLOCK, kdf=KdfParams.MINIMUM
    )
    created.request_faucet(wait=True)
    return created


@pytest.fixture
def buyer(market: RunningMarket, wallet: Wallet) -> Iterator[MarketBuyer]:
    with market_buyer(market.url, wallet, Identity.generate().encryption) as made:
        yield made


@pytest.fixture
def config() -> SensorConfig:
    tag = f"streams-recovery-{secrets.token_hex(4)}".encode()
    return SensorConfig(
        "parking-lingotto",
        45.0323,
        7.6676,
        TERMS,
        profile="parking",
        interval_s=0.2,
        poll_s=0.05,
        directory=tag,
    )


@pytest.fixture
def market_url(market: RunningMarket) -> str:
    return market.url


def _agent(
    home: SensorHome, gateway: SensorLedger, config: SensorConfig, market_url: str
) -> SensorAgent:
    """The sensor of ``home``, started: announced, its standing offer in the market."""
    agent = SensorAgent.open(home, gateway, config, clock=CLOCK, market_url=market_url)
    agent.start()
    return agent


def _sensor(gateway: RemoteLedger, config: SensorConfig) -> Sensor:
    [sensor] = discover(gateway, directory=config.directory)
    return sensor


def test_a_crash_before_the_grant_is_delivered_delivers_it_once_on_restart(
    gateway: RemoteLedger,
    buyer: MarketBuyer,
    config: SensorConfig,
    market_url: str,
    tmp_path: Path,
) -> None:
    home, reader = SensorHome(tmp_path / "sensor"), buyer.reader
    crashing = CrashOn(gateway, inbox_tag(reader.public_key))
    agent = _agent(home, crashing, config, market_url)
    sensor = _sensor(gateway, config)
    record, paid = buyer.buy(sensor, 3)
    with pytest.raises(LedgerUnavailable):
        agent.desk.scan()
    [accepted] = agent.book.payments()
    assert (accepted.message_id, accepted.state) == (paid, "accepted")
    assert accepted.contract == record.id
    [before] = agent.book.subscriptions()
    agent.close()

    agent = _agent(home, gateway, config, market_url)  # the restart finishes it
    try:
        assert [p.state for p in agent.book.payments()] == ["delivered"]
        assert agent.book.subscriptions() == [before]  # extended once, not twice
        grant = wait_for_grant(gateway, reader, sensor)
        assert grant.reader_key.expires_at_ms == before.ends_at_ms
        agent.desk.scan()
        assert [p.state for p in agent.book.payments()] == ["delivered"]
    finally:
        agent.close()


def test_a_crash_after_a_refund_was_sent_does_not_send_it_again(
    gateway: RemoteLedger,
    buyer: MarketBuyer,
    config: SensorConfig,
    market_url: str,
    tmp_path: Path,
) -> None:
    home = SensorHome(tmp_path / "sensor")
    agent = _agent(home, CrashOn(gateway, REFUND_TAG, after=True), config, market_url)
    sensor = _sensor(gateway, config)
    _, short = buyer.buy(sensor, 3, pay=20)  # the contract's total is 150
    with pytest.raises(LedgerUnavailable):
        agent.desk.scan()
    assert [p.state for p in agent.book.payments()] == ["refunding"]
    agent.close()

    agent = _agent(home, gateway, config, market_url)
    try:
        [refunded] = agent.book.payments()
        assert refunded.state == "refunded"
        assert refunded.detail == "it pays 20, the contract's total is 150"
        back = _until(lambda: [r for r in refunds(gateway, buyer.wallet) if r.payment_id == short])
        assert [r.message_id for r in back] == [refunded.refund_id]  # one refund, the first
    finally:
        agent.close()


def test_the_sensor_re_announces_only_what_changed(
    gateway: RemoteLedger, config: SensorConfig, market_url: str, tmp_path: Path
) -> None:
    home = SensorHome(tmp_path / "sensor")
    agent = _agent(home, gateway, config, market_url)  # start() announced
    assert not agent.announce_if_changed()
    agent.close()
    agent = _agent(home, gateway, config, market_url)
    assert not agent.announce_if_changed()
    agent.close()
    dearer = replace(config, terms=Terms(price=120, period_ms=2_000, minimum_ms=1_000))
    agent = _agent(home, gateway, dearer, market_url)
    agent.close()
    found = _sensor(gateway, config)
    assert found.announcement.terms.price == 120
    assert len(gateway.find_by_tag(config.directory)) == 2


def test_a_renewal_while_running_extends_from_the_current_end_and_follow_is_live(
    gateway: RemoteLedger,
    buyer: MarketBuyer,
    config: SensorConfig,
    market_url: str,
    tmp_path: Path,
) -> None:
    home, reader = SensorHome(tmp_path / "sensor"), buyer.reader
    agent = _agent(home, gateway, config, market_url)
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    thread.start()
    try:
        sensor = _sensor(gateway, config)
        buyer.buy(sensor, 10)  # 500
        first = wait_for_grant(gateway, reader, sensor)
        buyer.buy(sensor, 2)  # 100: 2 s more, from the first's end
        second = wait_for_grant(gateway, reader, sensor, known=1)
        assert first.reader_key.expires_at_ms is not None
        assert second.reader_key.expires_at_ms == first.reader_key.expires_at_ms + 2_000
        latencies = _follow_latencies(gateway, reader, second, count=15)
    finally:
        stop.set()
        thread.join(timeout=10)
        agent.close()
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    print(f"reading published -> decrypted by a follower: p50 {p50:.3f} s, p99 {p99:.3f} s")
    assert p99 < 2.0


def _follow_latencies(
    gateway: RemoteLedger, reader: EncryptionKey, grant: Delivery, *, count: int
) -> list[float]:
    """Seconds from each reading's time to its arrival, decrypted, at a live follower."""
    latencies = []
    for _, reading in follow(gateway, reader, grant):
        latencies.append((CLOCK.now_ms() - reading.at_ms) / 1000)
        if len(latencies) == count:
            return latencies
    raise AssertionError("the stream ended")


def _until(probe: Callable[[], list[Refunded]], timeout_s: float = 15.0) -> list[Refunded]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("nothing came")
