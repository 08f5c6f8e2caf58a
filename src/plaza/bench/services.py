"""``plaza bench services``: pay-per-call services end to end through a live node.

A node runs as a process of its own (``plaza node run`` through a one-node devnet,
proof of work 11, a milestone a second); the provider is ``plaza service run
plaza.bench.services_echo:echo``, a process of its own too. Customers, each its own
key funded in batched transfers, call it with :func:`plaza.services.customer.call`
from as many threads: quote, hold, wait, decrypt. The figures:

* ``calls_per_s``, ``call_p50_s``, ``call_p99_s``: calls whose result the customer
  decrypted, per second of the steady phase, and each call's seconds from asking
  for a quote to holding the result;
* ``gateway_overhead_p99_ms``: the p99 of paid requests through the 402 gateway
  less the p99 of the same upstream called directly, in the same run
  (:mod:`plaza.bench.services_gateway`);
* ``lost_coins``: after a second phase in which the provider is killed (SIGKILL)
  mid-load and started again on its data directory, and every call has ended: the
  coins that left the customers (read from the ledger) less the price of the results
  they decrypted. 0 means every payment ended with the provider paid and the result
  readable, or refunded; ``provider_revenue`` (the provider's balance) is beside it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx

from plaza.adapters.ledger.milestones import MilestoneWatch
from plaza.adapters.ledger.remote import RemoteLedger
from plaza.bench._stats import percentile
from plaza.bench.services_gateway import GatewayFigures, measure_gateway
from plaza.clients.node import NodeClient
from plaza.clock import SystemClock
from plaza.crypto import Address, SigningKey
from plaza.devnet import Devnet
from plaza.services import CallFailed, CallRefused, InvalidDescription, ServiceDescription
from plaza.services.customer import call, find_service
from plaza.services.customer_book import CustomerBook
from plaza.wallet import KdfParams, Wallet

__all__ = ["ServicesBenchmark", "ServicesPlan", "run_services_benchmark"]

Progress = Callable[[str], None]
CLOCK = SystemClock()
SERVICE = "plaza.bench.services_echo:echo"
_PASSWORD = "plaza bench services"  # noqa: S105 - a throwaway wallet in a temporary folder
#: What each customer is funded with: more calls than a run makes, at 1 coin each, and
#: 199 customers from one faucet grant (1,000,000).
_FUNDS = 5_000


@dataclass(frozen=True, slots=True)
class ServicesPlan:
    """How big a run: customers (one thread each), seconds of steady load, seconds of load
    around the provider's kill, paid gateway requests, and the node's pace."""

    customers: int = 32
    seconds: float = 20.0
    kill_seconds: float = 15.0
    gateway_samples: int = 200
    milestone_interval_s: float = 1.0
    pow_difficulty: int = 11
    provider_poll_s: float = 0.05
    customer_poll_s: float = 0.1

    def __post_init__(self) -> None:
        if self.customers < 1 or min(self.seconds, self.kill_seconds) <= 0:
            raise ValueError("at least one customer, for a positive time")


@dataclass(frozen=True, slots=True)
class ServicesBenchmark:
    customers: int
    duration_s: float
    calls: int
    calls_per_s: float
    call_p50_s: float
    call_p99_s: float
    refused: int
    failed: int
    gateway_samples: int
    direct_p50_ms: float
    direct_p99_ms: float
    gateway_p50_ms: float
    gateway_p99_ms: float
    gateway_overhead_p50_ms: float
    gateway_overhead_p99_ms: float
    kill_phase_calls: int
    kill_phase_failed: int
    customers_spent: int
    provider_revenue: int
    lost_coins: int


@dataclass
class _Tally:
    """What the customers' threads record, under one lock."""

    latencies: list[float] = field(default_factory=list)
    refused: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Provider:
    """``plaza service run`` on one data directory and port: started, killed, started again."""

    def __init__(self, folder: Path, node: str, port: int, poll_s: float) -> None:
        self.log = folder / "provider.log"
        options = ["--data", str(folder / "provider"), "--node", node, "--port", str(port)]
        options += ["--poll", str(poll_s), "--allowance", "10"]
        self.command = [sys.executable, "-m", "plaza.cli.main", "service", "run", SERVICE]
        self.command += options
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - this interpreter, our command
                self.command, stdout=log, stderr=log, env=os.environ
            )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _node(folder: Path, plan: ServicesPlan) -> Iterator[str]:
    devnet = Devnet(
        folder / "devnet",
        nodes=1,
        base_port=_free_port(),
        milestone_interval_s=plan.milestone_interval_s,
        pow_difficulty=plan.pow_difficulty,
    )
    devnet.start()
    try:
        yield devnet.nodes[0].url
    finally:
        devnet.stop()


def _announced(ledger: RemoteLedger, *, timeout_s: float = 60.0) -> ServiceDescription:
    """The bench service's description with its schemas, once its quote API answers: a
    customer that knows them does not ask the provider again on every call."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            found = find_service(ledger, "bench-echo")
            full = ServiceDescription.from_json(
                httpx.get(f"{found.endpoint}/service", timeout=1).json()
            )
            if replace(full, description="", input_schema={}, output_schema={}) == found:
                return full
        except (CallFailed, httpx.HTTPError, InvalidDescription, ValueError):
            pass
        time.sleep(0.1)
    raise RuntimeError("the provider never announced its service; see provider.log")


def _customers(folder: Path, ledger: RemoteLedger, count: int) -> list[SigningKey]:
    """``count`` keys, each funded with :data:`_FUNDS` from one faucet grant."""
    keys = [SigningKey.generate() for _ in range(count)]
    path = folder / "funder.json"
    funder, _ = Wallet.create(path, _PASSWORD, gateway=ledger, clock=CLOCK, kdf=KdfParams.MINIMUM)
    funder.request_faucet(wait=True)
    payments = [
        funder.send_many({Address.from_public_key(k.public_key.raw): _FUNDS for k in batch})
        for batch in (keys[i : i + 32] for i in range(0, len(keys), 32))
    ]
    for payment in payments:
        funder.wait(payment, timeout_s=60)
    return keys


@dataclass(frozen=True, slots=True)
class _Load:
    """What every customer thread of a phase shares."""

    url: str
    service: ServiceDescription
    poll_s: float
    milestones: MilestoneWatch
    stop: threading.Event
    tally: _Tally


def _customer(load: _Load, key: SigningKey, client: NodeClient, http: httpx.Client) -> None:
    """Call the service again and again until told to stop; each call's outcome tallied."""
    ledger = RemoteLedger(client, clock=CLOCK)
    book, number = CustomerBook(None), 0
    while not load.stop.is_set():
        number += 1
        _one_call(load, ledger, key=key, book=book, http=http, number=number)


def _one_call(
    load: _Load,
    ledger: RemoteLedger,
    *,
    key: SigningKey,
    book: CustomerBook,
    http: httpx.Client,
    number: int,
) -> None:
    tally, started = load.tally, time.monotonic()
    job = {"n": number}
    try:
        result = call(
            ledger,
            key,
            load.service,
            job,
            clock=CLOCK,
            book=book,
            http=http,
            poll_s=load.poll_s,
            milestones=load.milestones,
        )
    except CallRefused:
        with tally.lock:
            tally.refused += 1
        load.stop.wait(0.2)  # the provider is down: ask again soon, not in a spin
        return
    except CallFailed:
        with tally.lock:
            tally.failed += 1
        return
    except Exception as error:
        with tally.lock:
            tally.errors.append(repr(error))
        return
    _tally_answer(tally, number, result, started)


def _tally_answer(tally: _Tally, number: int, result: object, started: float) -> None:
    """An answered call counts as a latency only if the echo is right: a wrong answer is
    the run's error, not a fast call."""
    if result != {"n": number, "square": number * number}:
        with tally.lock:
            tally.errors.append(f"call {number} answered {result!r}")
        return
    with tally.lock:
        tally.latencies.append(time.monotonic() - started)


def _load(
    url: str,
    keys: list[SigningKey],
    service: ServiceDescription,
    plan: ServicesPlan,
    during: Callable[[threading.Event], object],
    *,
    milestones: MilestoneWatch,
) -> tuple[_Tally, float]:
    """Every customer calling until ``during`` returns; the tally and the phase's seconds
    (to the last call's end: every call ends, paid or refunded, before this returns).
    The customers share one milestone stream to wait on (a node lets a host open few)."""
    load = _Load(url, service, plan.customer_poll_s, milestones, threading.Event(), _Tally())
    with ExitStack() as clients:  # opened before the clock starts: loading TLS roots is slow
        threads = [
            threading.Thread(
                target=_customer,
                args=(
                    load,
                    key,
                    clients.enter_context(NodeClient(url)),
                    clients.enter_context(httpx.Client(timeout=10)),
                ),
                daemon=True,
            )
            for key in keys
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        during(load.stop)
        load.stop.set()
        for thread in threads:
            thread.join(timeout=120)
        return load.tally, time.monotonic() - started


def _spent(ledger: RemoteLedger, keys: list[SigningKey]) -> int:
    return sum(
        _FUNDS - ledger.balance(Address.from_public_key(k.public_key.raw)).amount for k in keys
    )


def run_services_benchmark(
    plan: ServicesPlan | None = None, *, progress: Progress = lambda _: None
) -> ServicesBenchmark:
    """Steady load, then load around a provider's SIGKILL and restart, then the gateway."""
    plan = plan or ServicesPlan()
    with tempfile.TemporaryDirectory(prefix="plaza-bench-services-") as name, ExitStack() as stack:
        folder = Path(name)
        url = stack.enter_context(_node(folder, plan))
        ledger = RemoteLedger(stack.enter_context(NodeClient(url)), clock=CLOCK)
        provider = _Provider(folder, url, _free_port(), plan.provider_poll_s)
        provider.start()
        stack.callback(provider.stop, signal.SIGKILL)
        service = _announced(ledger)
        watch = MilestoneWatch(NodeClient(url), fallback_s=plan.customer_poll_s)
        stack.enter_context(watch)
        progress(f"{plan.customers} customers funded")
        keys = _customers(folder, ledger, plan.customers + 1)
        payer, keys = keys[-1], keys[:-1]
        progress(f"steady load for {plan.seconds} s")
        steady, duration = _load(
            url, keys, service, plan, lambda stop: stop.wait(plan.seconds), milestones=watch
        )
        progress(f"load for {plan.kill_seconds} s, the provider killed and restarted in it")
        killed, _ = _load(
            url, keys, service, plan, lambda stop: _kill(provider, stop, plan), milestones=watch
        )
        revenue = ledger.balance(service.payment_address()).amount
        spent = _spent(ledger, keys)
        progress(f"{plan.gateway_samples} paid requests through the gateway")
        gateway = measure_gateway(folder, ledger, payer, plan.gateway_samples)
    errors = steady.errors + killed.errors
    if errors:
        progress(f"{len(errors)} calls ended in errors, the first: {errors[0]}")
    delivered = len(steady.latencies) + len(killed.latencies)
    money = {
        "customers_spent": spent,
        "provider_revenue": revenue,
        "lost_coins": spent - delivered * service.price,
    }
    return _figures(plan, (steady, duration), killed, gateway, money)


def _figures(
    plan: ServicesPlan,
    steady: tuple[_Tally, float],
    killed: _Tally,
    gateway: GatewayFigures,
    money: dict[str, int],
) -> ServicesBenchmark:
    tally, duration = steady
    return ServicesBenchmark(
        customers=plan.customers,
        duration_s=round(duration, 2),
        calls=len(tally.latencies),
        calls_per_s=round(len(tally.latencies) / duration, 2),
        call_p50_s=round(percentile(tally.latencies, 0.5), 3),
        call_p99_s=round(percentile(tally.latencies, 0.99), 3),
        refused=tally.refused,
        failed=tally.failed + len(tally.errors),
        gateway_samples=gateway.samples,
        direct_p50_ms=gateway.direct_p50_ms,
        direct_p99_ms=gateway.direct_p99_ms,
        gateway_p50_ms=gateway.gateway_p50_ms,
        gateway_p99_ms=gateway.gateway_p99_ms,
        gateway_overhead_p50_ms=gateway.overhead_p50_ms,
        gateway_overhead_p99_ms=gateway.overhead_p99_ms,
        kill_phase_calls=len(killed.latencies),
        kill_phase_failed=killed.failed + len(killed.errors),
        **money,
    )


def _kill(provider: _Provider, stop: threading.Event, plan: ServicesPlan) -> None:
    """A third into the phase, SIGKILL the provider with calls in flight; start it again."""
    stop.wait(plan.kill_seconds / 3)
    provider.stop(signal.SIGKILL)
    provider.start()
    stop.wait(plan.kill_seconds * 2 / 3)
