"""``plaza bench streams``: sensors selling streams to buyers, through a live node over HTTP.

The channel layer (publishing, key epochs, sealed grants, revocation) with no
marketplace: only these sensors serve a direct payment (PEGASUS's, which makes no
order; ``SensorConfig.channel_bench``); all others sell as contracts only. Every sensor
is a :class:`~plaza.streams.sensor.SensorAgent` with its own data directory, stepped by
a small pool of worker threads (each owns a slice of the sensors: serve payments,
publish when due). Buyers are funded from one faucet grant in a few batched
transfers, each buys a stream with a direct payment, and the figures are:

* ``readings_per_s``: readings published per second over the run, counted only as
  far as a sample of them is confirmed by a milestone at the end;
* ``delivery_p50_s``/``delivery_p99_s``: from a reading's time to a live follower
  holding it, decrypted (``followers`` buyers follow; the others hold grants that every
  key epoch wraps, so the keys records cost what the goal's buyers cost);
* ``grant_after_payment_p50_s``/``_p99_s``: from the buyer seeing its payment
  confirmed to its grant being in its inbox and open;
* ``revoked_reads``: readings published after a subscription ended that its buyer
  could decrypt (one buyer per sensor buys the minimum, so it lapses during the run).
  Must be 0.
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.bench._stats import percentile
from plaza.bench.channels import live_node
from plaza.channels import LedgerAccessError
from plaza.clients.node import NodeClient
from plaza.clock import SystemClock
from plaza.crypto import EncryptionKey
from plaza.streams import Sensor, Terms
from plaza.streams.buyer import buy, discover, follow, grants, history, wait_for_grant
from plaza.streams.sensor import SensorAgent, SensorConfig, SensorHome
from plaza.streams.sensor.watch import PaymentWatch
from plaza.wallet import KdfParams, Wallet

__all__ = ["StreamsBenchmark", "StreamsPlan", "run_streams_benchmark"]

Progress = Callable[[str], None]
CLOCK = SystemClock()
#: 10 base units a second, two seconds at least: the lapsing buyer's whole subscription.
TERMS = Terms(price=10, period_ms=1_000, minimum_ms=2_000)
_TAG = b"plaza-bench-streams"
_PASSWORD = "plaza bench streams"  # noqa: S105 - throwaway wallets in a temporary folder
_KDF = KdfParams.MINIMUM  # throwaway wallets: the file format, not the stretching
#: Purchases made at once, and how often each buyer looks in its inbox for the grant (the
#: grant's time is measured to that resolution; each look is a lookup on the node, which
#: 16 buyers looking every 20 ms made 800 a second, beside the sensors' own requests).
_BUYING_AT_ONCE = 16
_GRANT_POLL_S = 0.05


@dataclass(frozen=True, slots=True)
class StreamsBenchmark:
    sensors: int
    buyers_per_sensor: int
    interval_s: float
    duration_s: float
    readings: int
    confirmed_sampled: float
    readings_per_s: float
    delivery_samples: int
    delivery_p50_s: float
    delivery_p99_s: float
    grants: int
    grant_after_payment_p50_s: float
    grant_after_payment_p99_s: float
    revoked_reads: int


@dataclass(frozen=True, slots=True)
class StreamsPlan:
    """How big a run: sensors, buyers each, seconds between readings, how long, followers,
    worker threads stepping the sensors, and the proof of work's difficulty."""

    sensors: int = 20
    buyers_per_sensor: int = 3
    interval_s: float = 1.0
    seconds: float = 20.0
    followers: int = 10
    workers: int = 4
    pow_difficulty: int = 11
    poll_s: float = 0.5
    #: The node in a process of its own (as in production) rather than in this one's threads.
    node_process: bool = True
    #: How long a worker's sensors use the tips they asked for (0: ask for each message).
    tips_max_age_ms: int = 500
    #: A worker looks for all its sensors' payments under the payment tags at each poll and
    #: scans a sensor's history only when one pays it, or every ``full_scan_s`` (False: every
    #: sensor scans at every poll).
    watch: bool = True
    full_scan_s: float = 5.0

    def __post_init__(self) -> None:
        if self.buyers_per_sensor < 2:
            raise ValueError("at least two buyers a sensor: one lapses, one stays")
        if min(self.sensors, self.workers) < 1 or min(self.interval_s, self.seconds) <= 0:
            raise ValueError("at least one sensor and one worker, for a positive time")


@dataclass
class _Buyer:
    wallet: Wallet
    reader: EncryptionKey
    sensor: Sensor
    amount: int
    grant_s: float = 0.0


@dataclass
class _Run:
    """What the workers and followers record while the benchmark runs."""

    published: list[bytes]
    delivered: list[float]
    stop: threading.Event
    lock: threading.Lock

    @classmethod
    def fresh(cls) -> _Run:
        return cls([], [], threading.Event(), threading.Lock())


def _open_sensors(
    folder: Path, gateways: list[RemoteLedger], plan: StreamsPlan, stack: ExitStack
) -> list[SensorAgent]:
    """The plan's sensors around Turin, announced, each in its own data directory.

    The sensors a worker steps share its node client and one ledger gateway, as the
    sensors of one ``plaza sensor city`` process do: the tips it asked for serve them all
    for ``tips_max_age_ms`` and the parents' issue times are looked up once, not for every
    reading (a profile found those lookups 40 % of a worker's time).
    """
    agents = []
    for index in range(plan.sensors):
        config = SensorConfig(
            f"bench-{index:03d}",
            45.07 + (index % 20) * 0.002,
            7.68 + (index // 20) * 0.002,
            TERMS,
            profile=("air", "noise", "parking", "traffic")[index % 4],
            seed=index,
            interval_s=plan.interval_s,
            poll_s=plan.poll_s,
            directory=_TAG,
            channel_bench=True,  # direct payments served: the channel layer, no marketplace
        )
        gateway = gateways[index % len(gateways)]  # the worker that steps it (_drive)
        home = SensorHome(folder / f"sensor-{index:03d}")
        agent = SensorAgent.open(home, gateway, config, clock=CLOCK)
        stack.callback(agent.close)
        agent.announce_if_changed()
        agents.append(agent)
    return agents


def _work(agents: list[SensorAgent], gateway: RemoteLedger, run: _Run, plan: StreamsPlan) -> None:
    """One worker's sensors: each looks for payments every ``poll_s`` (with the watch, only
    when one pays it, or every ``full_scan_s``) and publishes every ``interval_s`` (as its own
    loop would), until told to stop."""
    addresses = [agent.desk.address.raw for agent in agents]
    watch = PaymentWatch(gateway, addresses, clock=CLOCK) if plan.watch else None
    due, polled, full = [0] * len(agents), [0] * len(agents), [0] * len(agents)
    looked = 0
    while not run.stop.is_set():
        if watch is not None and CLOCK.now_ms() >= looked:
            watch.look()
            looked = CLOCK.now_ms() + round(plan.poll_s * 1000)
        for index, agent in enumerate(agents):
            now = CLOCK.now_ms()
            if now >= polled[index] and (
                watch is None or now >= full[index] or watch.due(addresses[index])
            ):
                agent.desk.scan()
                polled[index] = now + round(agent.config.poll_s * 1000)
                full[index] = now + round(plan.full_scan_s * 1000)  # a scan reads it all
                if watch is not None:
                    watch.handled(addresses[index], agent.book.handled)
            if now >= due[index]:
                published = agent.publish_reading()
                due[index] = now + round(plan.interval_s * 1000)
                with run.lock:
                    run.published += [] if published is None else [published.message_id]
        run.stop.wait(0.01)


def _buyers(
    folder: Path, gateway: RemoteLedger, sensors: list[Sensor], plan: StreamsPlan
) -> list[_Buyer]:
    """``per_sensor`` buyers of each sensor, funded in batched transfers from one faucet
    grant; the first of each buys the minimum (it lapses), the others the whole run."""
    per_sensor, whole = plan.buyers_per_sensor, TERMS.price_of(round((plan.seconds + 120) * 1000))
    buyers = []
    for number, sensor in enumerate(s for s in sensors for _ in range(per_sensor)):
        path = folder / f"buyer-{number}.json"
        wallet, _ = Wallet.create(path, _PASSWORD, gateway=gateway, clock=CLOCK, kdf=_KDF)
        amount = TERMS.minimum_price if number % per_sensor == 0 else whole
        buyers.append(_Buyer(wallet, EncryptionKey.generate(), sensor, amount))
    path = folder / "funder.json"
    funder, _ = Wallet.create(path, _PASSWORD, gateway=gateway, clock=CLOCK, kdf=_KDF)
    funder.request_faucet(wait=True)
    payments = [
        funder.send_many({b.wallet.receive_address().address: b.amount for b in batch})
        for batch in (buyers[i : i + 32] for i in range(0, len(buyers), 32))
    ]
    for payment in payments:
        funder.wait(payment, timeout_s=60)
    return buyers


def _purchase(buyer: _Buyer, client: NodeClient) -> None:
    """Pay, then time the grant from the milestone that confirmed the payment to the grant
    being in the buyer's inbox and open."""
    paid = buy(buyer.wallet, buyer.sensor, buyer.reader, buyer.amount, timeout_s=60)
    index = paid.transfers[0].metadata.milestone_index if paid.transfers[0].metadata else None
    assert index is not None  # buy() returns once confirmed
    confirmed_ms = client.milestone(index).timestamp_ms
    gateway = RemoteLedger(client, clock=CLOCK)
    wait_for_grant(gateway, buyer.reader, buyer.sensor, timeout_s=60, poll_s=_GRANT_POLL_S)
    buyer.grant_s = (CLOCK.now_ms() - confirmed_ms) / 1000


def _follow(url: str, buyer: _Buyer, run: _Run) -> None:
    """Record, for each reading published since it started following, the seconds from its
    time to holding it decrypted (the catch-up before that is history, not delivery)."""
    with NodeClient(url) as client:
        gateway = RemoteLedger(client, clock=CLOCK, follow_timeout=5.0)
        grant = grants(gateway, buyer.reader, buyer.sensor)[-1]
        started_ms = CLOCK.now_ms()
        try:
            for _, reading in follow(gateway, buyer.reader, grant):
                if reading.at_ms < started_ms:
                    continue
                with run.lock:
                    run.delivered.append((CLOCK.now_ms() - reading.at_ms) / 1000)
                if run.stop.is_set():
                    return
        except LedgerAccessError:
            return  # the stream went quiet after the sensors stopped


def _revoked_reads(gateway: RemoteLedger, lapsing: list[_Buyer]) -> int:
    """Readings from after a subscription's end that its buyer can still decrypt."""
    count = 0
    for buyer in lapsing:
        delivered = grants(gateway, buyer.reader, buyer.sensor)
        ends = max(g.reader_key.expires_at_ms or 0 for g in delivered)
        readable = history(gateway, buyer.reader, delivered)
        count += sum(1 for _, reading in readable if reading.at_ms >= ends)
    return count


def _confirmed_fraction(gateway: RemoteLedger, published: list[bytes], sample: int) -> float:
    """The share of a random sample of the readings that a milestone confirmed."""
    chosen = random.sample(published, min(sample, len(published)))
    confirmed = 0
    for message_id in chosen:
        metadata = gateway.metadata(message_id)
        confirmed += metadata is not None and metadata.milestone_index is not None
    return confirmed / len(chosen) if chosen else 0.0


def run_streams_benchmark(
    plan: StreamsPlan | None = None, *, progress: Progress = lambda _: None
) -> StreamsBenchmark:
    """Run ``plan``'s sensors for its ``seconds``, each publishing every ``interval_s`` and
    sold to ``buyers_per_sensor`` buyers, ``followers`` of them following live."""
    plan = plan or StreamsPlan()
    with tempfile.TemporaryDirectory(prefix="plaza-bench-streams-") as name, ExitStack() as stack:
        folder = Path(name)
        url = stack.enter_context(
            live_node(folder, plan.pow_difficulty, own_process=plan.node_process)
        )
        clients = [stack.enter_context(NodeClient(url)) for _ in range(plan.workers + 1)]
        gateway = RemoteLedger(clients[-1], clock=CLOCK)
        progress(f"{plan.sensors} sensors announcing on a live node")
        gateways = [
            RemoteLedger(client, clock=CLOCK, tips_max_age_ms=plan.tips_max_age_ms)
            for client in clients[: plan.workers]
        ]
        agents = _open_sensors(folder, gateways, plan, stack)
        progress(f"{plan.sensors * plan.buyers_per_sensor} buyers funded")
        buyers = _buyers(folder, gateway, discover(gateway, directory=_TAG), plan)
        progress(f"running {plan.seconds} s: publishing, buying, following")
        run = _Run.fresh()
        duration = _drive(
            plan=plan,
            url=url,
            client=clients[-1],
            agents=agents,
            buyers=buyers,
            run=run,
            gateways=gateways,
        )
        progress("checking confirmations and revoked reads")
        time.sleep(2.5)  # two milestones past the last reading
        fraction = _confirmed_fraction(gateway, run.published, 200)
        revoked = _revoked_reads(gateway, [b for b in buyers if b.amount == TERMS.minimum_price])
    return _figures(plan, run, buyers, duration, (fraction, revoked))


def _drive(
    *,
    plan: StreamsPlan,
    url: str,
    client: NodeClient,
    agents: list[SensorAgent],
    buyers: list[_Buyer],
    run: _Run,
    gateways: list[RemoteLedger],
) -> float:
    """Start the sensors, make every purchase, follow, stop after ``seconds``; the run's length."""
    workers = plan.workers
    threads = [
        threading.Thread(target=_work, args=(agents[i::workers], gateways[i], run, plan))
        for i in range(workers)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    try:
        following = _purchase_all(plan, url, client, buyers, run)
        run.stop.wait(max(0.0, started + plan.seconds - time.monotonic()))
    finally:  # a purchase that failed stops the sensors before their files are closed
        run.stop.set()
        for thread in threads:
            thread.join(timeout=30)
    duration = time.monotonic() - started
    for thread in following:
        thread.join(timeout=10)
    return duration


def _purchase_all(
    plan: StreamsPlan, url: str, client: NodeClient, buyers: list[_Buyer], run: _Run
) -> list[threading.Thread]:
    """Make every purchase, ``_BUYING_AT_ONCE`` at a time; the threads of the followers.

    A follower starts as soon as its own purchase is granted (the first sensors' buyers are
    bought first), so delivery is measured while the other purchases load the node, not
    only after the last of them.
    """
    staying = [b for b in buyers if b.amount != TERMS.minimum_price][: plan.followers]
    following, watching = {id(b) for b in staying}, list[threading.Thread]()

    def purchase(buyer: _Buyer) -> None:
        _purchase(buyer, client)
        if id(buyer) in following:
            thread = threading.Thread(target=_follow, args=(url, buyer, run), daemon=True)
            thread.start()
            watching.append(thread)

    with ThreadPoolExecutor(max_workers=_BUYING_AT_ONCE) as pool:
        list(pool.map(purchase, buyers))
    return watching


def _figures(
    plan: StreamsPlan, run: _Run, buyers: list[_Buyer], duration: float, checks: tuple[float, int]
) -> StreamsBenchmark:
    fraction, revoked = checks
    grant_times = [b.grant_s for b in buyers]
    return StreamsBenchmark(
        sensors=plan.sensors,
        buyers_per_sensor=plan.buyers_per_sensor,
        interval_s=plan.interval_s,
        duration_s=round(duration, 2),
        readings=len(run.published),
        confirmed_sampled=round(fraction, 3),
        readings_per_s=round(len(run.published) * fraction / duration, 1),
        delivery_samples=len(run.delivered),
        delivery_p50_s=round(percentile(run.delivered, 0.5), 4),
        delivery_p99_s=round(percentile(run.delivered, 0.99), 4),
        grants=len(grant_times),
        grant_after_payment_p50_s=round(percentile(grant_times, 0.5), 4),
        grant_after_payment_p99_s=round(percentile(grant_times, 0.99), 4),
        revoked_reads=revoked,
    )
