"""``plaza bench ledger``: ingest rate against raw Ed25519 verification, and confirmation latency.

Ingest is measured in-process on SQLite: messages are decoded, validated (proof
of work and signature included) and stored, in batches as a node receives them.
The baseline is single-core Ed25519 verification with the same library, timed in
the same run over the same messages, so the ratio survives a noisy machine. A
node verifies a batch's signatures on several threads (PyNaCl releases the GIL),
so ingest is also measured with one verification thread, for comparison.
The two starvation attacks (idle event streams, an orphan flood) are measured in
the same run by :mod:`plaza.bench.starvation`.
"""

from __future__ import annotations

import asyncio
import functools
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from plaza.bench._stats import percentile
from plaza.bench.starvation import (
    FloodOutcome,
    IdleOutcome,
    measure_idle_subscribers,
    measure_orphan_flood,
)
from plaza.bootstrap import SystemClock
from plaza.crypto import Address, SigningKey, verify_signature
from plaza.ledger.codec import SIGNING_DOMAIN
from plaza.ledger.compose import compose
from plaza.ledger.events import MessageConfirmed
from plaza.ledger.genesis import Genesis
from plaza.ledger.model import DataPayload, Message, Output, Payload, TransferPayload
from plaza.ledger.pow import Blake2bWork
from plaza.node import EventFilter, NodeConfig, NodeRuntime
from plaza.settings import NodeSettings
from plaza.storage.sqlite import SqliteTangleStore

__all__ = ["LedgerBenchmark", "run_ledger_benchmark"]

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class LedgerBenchmark:
    messages: int
    batch_size: int
    pow_difficulty: int
    verify_workers: int
    ingest_per_s: float
    ingest_one_worker_per_s: float
    ed25519_verify_per_s: float
    ingest_to_verify_ratio: float
    milestone_interval_s: float
    confirmed_samples: int
    confirm_latency_p50_s: float
    confirm_latency_p99_s: float
    idle_subscribers: int
    idle_subscribers_connected: int
    served_ingest_per_s: float
    idle_subscribers_ingest_per_s: float
    idle_subscribers_ingest_ratio: float
    idle_subscribers_cpu_ratio: float
    orphan_flood_orphans: int
    orphan_flood_held: int
    orphan_flood_legit_pairs: int
    orphan_flood_legit_accepted: bool


@dataclass(frozen=True, slots=True)
class _Network:
    genesis: Genesis
    faucet: SigningKey
    coordinator: SigningKey


def _network(now_ms: int) -> _Network:
    faucet, coordinator = SigningKey.generate(), SigningKey.generate()
    genesis = Genesis.create(
        "plaza-bench",
        timestamp_ms=now_ms,
        allocations={Address.from_public_key(faucet.public_key.raw).raw: 10**15},
        coordinator_keys=(coordinator.public_key.raw,),
    )
    return _Network(genesis, faucet, coordinator)


def _workload(network: _Network, count: int, difficulty: int, start_ms: int) -> list[Message]:
    """A plausible stream: 80% tagged data, 20% transfers, each approving recent messages."""
    rng = random.Random(42)
    work = Blake2bWork(difficulty)
    recent = [network.genesis.id]
    messages: list[Message] = []
    for number in range(count):
        payload: Payload
        if number % 5 == 4:
            payee = rng.randbytes(32)
            payload = TransferPayload((Output(payee, rng.randint(1, 1000)),), b"bench")
        else:
            payload = DataPayload(b"sensor-%d" % (number % 50), rng.randbytes(96))
        parents = rng.sample(recent[-8:], min(2, len(recent[-8:])))
        message = compose(
            network.faucet,
            network_id=network.genesis.network_id,
            parents=parents,
            payload=payload,
            issued_at_ms=start_ms + number,
            work=work,
        )
        messages.append(message)
        recent.append(message.id)
    return messages


def _measure_verify(messages: list[Message]) -> float:
    items = [(m.issuer, SIGNING_DOMAIN + m.essence, m.signature) for m in messages]
    started = time.perf_counter()
    for issuer, signed, signature in items:
        verify_signature(issuer, signed, signature)
    return len(items) / (time.perf_counter() - started)


def _measure_ingest(
    network: _Network,
    messages: list[Message],
    *,
    difficulty: int,
    batch: int,
    workers: int,
    path: Path,
) -> float:
    runtime = NodeRuntime(
        store=SqliteTangleStore(path),
        genesis=network.genesis,
        config=NodeConfig(pow_difficulty=difficulty, coordinator=False, verify_workers=workers),
        clock=SystemClock(),
    )
    raws = [message.raw for message in messages]
    try:
        started = time.perf_counter()
        for offset in range(0, len(raws), batch):
            results = runtime.tangle.ingest(raws[offset : offset + batch])
            if any(result.error is not None for result in results):
                raise RuntimeError(f"benchmark message refused: {results}")
        return len(raws) / (time.perf_counter() - started)
    finally:
        runtime.close()


async def _measure_confirmation(
    network: _Network, interval: float, duration: float, rate: float, folder: Path
) -> list[float]:
    """Seconds from submission to the confirmed event, for a steady trickle of messages."""
    runtime = NodeRuntime(
        store=SqliteTangleStore(folder / "confirm.sqlite3"),
        genesis=network.genesis,
        config=NodeConfig(pow_difficulty=0, milestone_interval_s=interval),
        clock=SystemClock(),
        coordinator_keys=[network.coordinator],
    )
    submitted: dict[bytes, float] = {}
    latencies: list[float] = []
    subscription = runtime.events.subscribe(EventFilter(kinds=frozenset({"confirmed"})))

    async def collect() -> None:
        async for event in subscription:
            assert isinstance(event, MessageConfirmed)
            sent = submitted.pop(event.message_id, None)
            if sent is not None:
                latencies.append(time.perf_counter() - sent)

    coordinator = asyncio.create_task(runtime.run_coordinator())
    collector = asyncio.create_task(collect())
    try:
        await _trickle(runtime, network.faucet, submitted, duration=duration, rate=rate)
        await asyncio.sleep(interval * 2.5)  # let the last submissions confirm
    finally:
        coordinator.cancel()
        subscription.close()
        await asyncio.gather(coordinator, collector, return_exceptions=True)
        runtime.close()
    return latencies


async def _trickle(
    runtime: NodeRuntime,
    signer: SigningKey,
    submitted: dict[bytes, float],
    *,
    duration: float,
    rate: float,
) -> None:
    deadline = time.perf_counter() + duration
    while time.perf_counter() < deadline:
        message = compose(
            signer,
            network_id=runtime.tangle.genesis.network_id,
            parents=runtime.tangle.select_parents(),
            payload=DataPayload(b"latency", b""),
            issued_at_ms=runtime.clock.now_ms(),
            work=runtime.work,
        )
        submitted[message.id] = time.perf_counter()
        await asyncio.to_thread(runtime.submit, message.raw)
        await asyncio.sleep(1 / rate)


@dataclass(frozen=True, slots=True)
class _Plan:
    """The run's settings, resolved once, so each phase and the figures read the same."""

    messages: int
    batch_size: int
    pow_difficulty: int
    milestone_interval_s: float
    latency_duration_s: float
    latency_rate_per_s: float
    verify_workers: int
    idle_subscribers: int
    orphans: int
    legit_pairs: int


@dataclass(frozen=True, slots=True)
class _Rates:
    """Raw verification and ingest with ``verify_workers`` threads, then one, per second."""

    verify: float
    ingest: float
    ingest_one: float


def run_ledger_benchmark(
    *,
    messages: int = 5000,
    batch_size: int = 500,
    pow_difficulty: int = 11,
    milestone_interval_s: float = 1.0,
    latency_duration_s: float = 8.0,
    latency_rate_per_s: float = 40.0,
    verify_workers: int | None = None,
    idle_subscribers: int = 1000,
    orphans: int = 12_000,
    legit_pairs: int = 20,
    progress: Progress = lambda _: None,
) -> LedgerBenchmark:
    """Signatures are verified on ``verify_workers`` threads (default: as a node would)."""
    plan = _Plan(
        messages=messages,
        batch_size=batch_size,
        pow_difficulty=pow_difficulty,
        milestone_interval_s=milestone_interval_s,
        latency_duration_s=latency_duration_s,
        latency_rate_per_s=latency_rate_per_s,
        verify_workers=verify_workers or NodeSettings().verify_workers,
        idle_subscribers=idle_subscribers,
        orphans=orphans,
        legit_pairs=legit_pairs,
    )
    return _run(plan, progress)


def _run(plan: _Plan, progress: Progress) -> LedgerBenchmark:
    """Every phase on one network and workload, in a folder removed afterwards."""
    now_ms = time.time_ns() // 1_000_000
    network = _network(now_ms - 60_000)
    progress(f"preparing {plan.messages} messages with {plan.pow_difficulty}-bit proof of work")
    workload = _workload(network, plan.messages, plan.pow_difficulty, now_ms - 50_000)
    with tempfile.TemporaryDirectory(prefix="plaza-bench-") as name:
        folder = Path(name)
        rates = _measure_rates(plan, network, workload, folder, progress)
        progress(f"measuring confirmation latency for {plan.latency_duration_s:.0f} s")
        confirm = _measure_confirmation(
            network,
            plan.milestone_interval_s,
            plan.latency_duration_s,
            plan.latency_rate_per_s,
            folder,
        )
        latencies = asyncio.run(confirm)
        idle, flood = _measure_starvation(plan, network, workload, folder, progress)
    return _figures(plan, rates, latencies, idle, flood)


def _measure_rates(
    plan: _Plan, network: _Network, workload: list[Message], folder: Path, progress: Progress
) -> _Rates:
    """The baseline first, then ingest on the same messages, so the ratio shares a machine state."""
    progress("measuring Ed25519 verification (baseline)")
    verify_rate = _measure_verify(workload)
    workers = plan.verify_workers
    progress(f"measuring ingest into SQLite, {workers} verification threads, then 1")
    ingest = functools.partial(
        _measure_ingest, network, workload, difficulty=plan.pow_difficulty, batch=plan.batch_size
    )
    ingest_rate = ingest(workers=workers, path=folder / "ingest.sqlite3")
    ingest_one_rate = ingest(workers=1, path=folder / "ingest-1.sqlite3")
    return _Rates(verify=verify_rate, ingest=ingest_rate, ingest_one=ingest_one_rate)


def _measure_starvation(
    plan: _Plan, network: _Network, workload: list[Message], folder: Path, progress: Progress
) -> tuple[IdleOutcome, FloodOutcome]:
    """The two attacks, the idle streams on the same workload and node settings as ingest."""
    progress(f"measuring served ingest without and with {plan.idle_subscribers} idle streams")
    config = NodeConfig(
        pow_difficulty=plan.pow_difficulty, coordinator=False, verify_workers=plan.verify_workers
    )
    raws = [message.raw for message in workload]
    idle = measure_idle_subscribers(
        network.genesis,
        raws,
        folder,
        config=config,
        batch=plan.batch_size,
        idle=plan.idle_subscribers,
    )
    progress(f"flooding {plan.orphans} orphans while {plan.legit_pairs} clients send out of order")
    flood = measure_orphan_flood(
        network.genesis, network.faucet, folder, orphans=plan.orphans, legit_pairs=plan.legit_pairs
    )
    return idle, flood


def _figures(
    plan: _Plan, rates: _Rates, latencies: list[float], idle: IdleOutcome, flood: FloodOutcome
) -> LedgerBenchmark:
    """The measurements as reported: rates rounded, latencies as percentiles, ratios computed."""
    return LedgerBenchmark(
        messages=plan.messages,
        batch_size=plan.batch_size,
        pow_difficulty=plan.pow_difficulty,
        verify_workers=plan.verify_workers,
        ingest_per_s=round(rates.ingest, 1),
        ingest_one_worker_per_s=round(rates.ingest_one, 1),
        ed25519_verify_per_s=round(rates.verify, 1),
        ingest_to_verify_ratio=round(rates.ingest / rates.verify, 3),
        milestone_interval_s=plan.milestone_interval_s,
        confirmed_samples=len(latencies),
        confirm_latency_p50_s=round(percentile(latencies, 0.5), 4),
        confirm_latency_p99_s=round(percentile(latencies, 0.99), 4),
        idle_subscribers=plan.idle_subscribers,
        idle_subscribers_connected=idle.connected,
        served_ingest_per_s=round(idle.served_ingest_per_s, 1),
        idle_subscribers_ingest_per_s=round(idle.idle_ingest_per_s, 1),
        idle_subscribers_ingest_ratio=round(idle.idle_ingest_per_s / idle.served_ingest_per_s, 3),
        idle_subscribers_cpu_ratio=round(
            idle.idle_ingest_per_cpu_s / idle.served_ingest_per_cpu_s, 3
        ),
        orphan_flood_orphans=flood.orphans,
        orphan_flood_held=flood.orphans_held,
        orphan_flood_legit_pairs=flood.legit_pairs,
        orphan_flood_legit_accepted=flood.legit_accepted,
    )
