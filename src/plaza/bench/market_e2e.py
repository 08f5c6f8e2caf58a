"""The end-to-end part of ``plaza bench market``: contracts per second through the HTTP API.

A real marketplace (the production wiring of :func:`plaza.bootstrap.build_market`:
SQLite database, SQLite journal, SQLite job queue) is served by uvicorn on
loopback in this process. ``threads`` client threads each register a provider
and a consumer, then submit ``pairs_per_thread`` matched pairs: an offer, then
a request that crosses it, each a signed request over its own HTTP connection.
Every request makes exactly one contract (checked), so

* ``e2e_contracts_per_s`` = contracts / wall time of the whole submission phase,
  offers included (a contract costs two signed, journaled, persisted requests);
* ``e2e_p99_s`` = the 99th percentile latency of the request that creates the
  contract (match, journal append, signature, settlement row, events).

Each thread trades its own kind, so threads contend only for the marketplace's
locks and databases, as independent agents would.

With ``ledger`` (the default of ``plaza bench market``) a node is served in this
process too (SQLite, real proof of work, its own milestones) and the marketplace
records twins on it as ``plaza market run`` does: every order step, signed
contract and settlement state is staged in the twin outbox by the request that
causes it and written to the ledger by the outbox publisher's thread, many channel
messages to one carrier and its proof of work (``carriers=False``: one message each, as
before carriers; ``plaza bench market`` measures both in one run). After the submission phase the
benchmark waits for the outbox to empty (``e2e_twin_drain_s``: how long that
took after the last request answered), then reads from the outbox

* ``e2e_twin_lag_p99_s`` = the 99th percentile, over every twin state, of the
  time from the state's commit to the milestone confirming its channel message
  (the milestone's own time; the benchmark waits for milestones after the
  outbox empties);
* ``e2e_twin_written_lag_p99_s`` = the same to the outbox marking it written
  (the end of its batch, after the node accepted it: a milestone may confirm
  a message before its batch ends);
* ``e2e_twins_written_contracts_per_s`` = contracts / (wall time of the
  submission phase + ``e2e_twin_drain_s``): the rate counted until the last
  twin state was written, which a publisher that falls behind cannot flatter.

The marketplace's twin lag limit (``twin_lag_limit_s``) is off unless ``lag_limit_s``
sets it: off, the benchmark measures how far behind a burst leaves the twins; on, the
marketplace refuses new orders past the limit (``503 twins_behind``), the traders wait
out each refusal and send the order again, as agents do (``e2e_refused`` counts them),
and ``e2e_twin_lag_max_s`` shows what the limit left of the lag.

``e2e_ledger_messages`` counts what reached the node (twins, their
announcements and sealed keys, and milestones); ``e2e_twins_waiting`` and
``e2e_twins_unconfirmed`` must be 0 (nothing left unwritten, or unconfirmed,
when the benchmark stopped waiting).

The same trading against ``plaza market run --workers N`` on PostgreSQL is
:mod:`plaza.bench.market_workers`, which reuses the pieces here.
"""

from __future__ import annotations

import math
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from plaza.api import create_app
from plaza.api.market import MarketApiConfig
from plaza.api.serving import ThreadedServer
from plaza.bench._stats import percentile
from plaza.bootstrap import build_market, build_node
from plaza.clients.errors import NodeBusyError
from plaza.clients.market import MarketClient, OrderTerms, SubmissionRecord
from plaza.crypto import Identity
from plaza.market.auth import Role
from plaza.settings import MarketSettings, NodeSettings

__all__ = [
    "BenchNode",
    "TwinOutbox",
    "confirmed_twins",
    "drain_twins",
    "run_market_e2e",
    "served_node",
    "submit_patiently",
    "trade_pairs",
]

Progress = Callable[[str], None]

_HOUR_MS = 3_600_000
_DRAIN_TIMEOUT_S = 600.0
_CONFIRM_TIMEOUT_S = 60.0


class Submit(Protocol):
    """A client's ``offer`` or ``request``."""

    def __call__(
        self, terms: OrderTerms, *, idempotency_key: str | None = None
    ) -> SubmissionRecord: ...


def submit_patiently(
    submit: Submit, terms: OrderTerms, *, sleep: Callable[[float], None] = time.sleep
) -> tuple[SubmissionRecord, int]:
    """Submit as an agent does under the marketplace's twin lag limit: a ``twins_behind``
    refusal is waited out (its ``Retry-After``) and the order sent again with the same key;
    the record, and how many refusals it took."""
    key = uuid.uuid4().hex
    refused = 0
    while True:
        try:
            return submit(terms, idempotency_key=key), refused
        except NodeBusyError as busy:
            if busy.code != "twins_behind":
                raise
            refused += 1
            sleep(busy.retry_after or 1.0)


class _Trader:
    """One agent thread: a provider and a consumer, each with its own connection."""

    def __init__(self, url: str, number: int) -> None:
        self.kind = f"bench-{number}"
        self.provider = MarketClient(url, identity=Identity.generate(), timeout=60.0)
        self.consumer = MarketClient(url, identity=Identity.generate(), timeout=60.0)
        self.provider.register(f"provider {number}", roles=[Role.PROVIDER])
        self.consumer.register(f"consumer {number}", roles=[Role.CONSUMER])
        self.latencies: list[float] = []
        self.refused = 0
        self.error: BaseException | None = None

    def trade(self, pairs: int, start: threading.Barrier) -> None:
        try:
            start.wait()
            for _ in range(pairs):
                now = time.time_ns() // 1_000_000
                terms = OrderTerms(self.kind, 10, 5, now, now + _HOUR_MS)
                self._patiently(self.provider.offer, terms)
                began = time.perf_counter()
                outcome = self._patiently(self.consumer.request, terms)
                self.latencies.append(time.perf_counter() - began)
                if len(outcome.contracts) != 1:
                    raise RuntimeError(f"a matched pair made {len(outcome.contracts)} contracts")
        except BaseException as error:
            self.error = error

    def _patiently(self, submit: Submit, terms: OrderTerms) -> SubmissionRecord:
        record, refused = submit_patiently(submit, terms)
        self.refused += refused
        return record

    def close(self) -> None:
        self.provider.close()
        self.consumer.close()


@dataclass(frozen=True, slots=True)
class BenchNode:
    """A node served here for the marketplace to record twins on, and what the benchmark
    asks it."""

    url: str
    message_count: Callable[[], int]
    confirmed_at_ms: Callable[[bytes], int | None]  # the confirming milestone's time


def trade_pairs(url: str, *, threads: int, pairs_per_thread: int) -> dict[str, float]:
    """``threads`` traders each make ``pairs_per_thread`` contracts through the marketplace
    at ``url``; contracts per second and the p99 of the requests that made them."""
    traders = [_Trader(url, number) for number in range(threads)]
    try:
        start = threading.Barrier(threads + 1)
        workers = [
            threading.Thread(target=trader.trade, args=(pairs_per_thread, start))
            for trader in traders
        ]
        for worker in workers:
            worker.start()
        start.wait()
        began = time.perf_counter()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - began
        for trader in traders:
            if trader.error is not None:
                raise RuntimeError("a trader failed") from trader.error
        latencies = [latency for trader in traders for latency in trader.latencies]
        refused = sum(trader.refused for trader in traders)
    finally:
        for trader in traders:
            trader.close()
    return {
        "e2e_contracts_per_s": round(len(latencies) / elapsed, 1),
        "e2e_p99_s": round(percentile(latencies, 0.99), 4),
        "e2e_contracts": float(len(latencies)),
        "e2e_trading_s": round(elapsed, 3),
        "e2e_refused": float(refused),  # orders refused for twins behind, then sent again
    }


class TwinOutbox(Protocol):
    """What the benchmark reads of the twin outbox: the marketplace's own
    (:class:`~plaza.market.twins.staging.StagedTwins`) when it is served here, the database's
    (:class:`~plaza.market.sql.SqlTwinOutbox`) when worker processes serve it."""

    def lags_ms(self) -> list[int]: ...

    def written_messages(self) -> list[tuple[int, bytes]]: ...


def drain_twins(outbox: TwinOutbox, pending: Callable[[], int]) -> dict[str, float]:
    """Wait (while the marketplace's publisher writes) until no twin state is ``pending``."""
    began = time.perf_counter()
    deadline = began + _DRAIN_TIMEOUT_S
    while pending() and time.perf_counter() < deadline:
        time.sleep(0.05)
    drained = time.perf_counter() - began
    lags = [lag / 1000 for lag in outbox.lags_ms()]
    return {
        "e2e_twin_written_lag_p99_s": _p99(lags),
        "e2e_twin_drain_s": round(drained, 2),
        "e2e_twins_waiting": float(pending()),
    }


def confirmed_twins(outbox: TwinOutbox, node: BenchNode) -> dict[str, float]:
    """Wait for milestones to confirm every twin message; each state's lag to its confirming
    milestone, and how many were still unconfirmed when the wait ended."""
    waiting = outbox.written_messages()
    lags: list[float] = []
    deadline = time.perf_counter() + _CONFIRM_TIMEOUT_S
    while waiting and time.perf_counter() < deadline:
        still = []
        for committed_at_ms, message_id in waiting:
            confirmed_at_ms = node.confirmed_at_ms(message_id)
            if confirmed_at_ms is None:
                still.append((committed_at_ms, message_id))
            else:
                lags.append((confirmed_at_ms - committed_at_ms) / 1000)
        waiting = still
        if waiting:
            time.sleep(0.2)
    return {
        "e2e_twin_lag_p99_s": _p99(lags),
        "e2e_twin_lag_max_s": round(max(lags, default=math.nan), 3),
        "e2e_twins_unconfirmed": float(len(waiting)),
    }


def _written_rate(figures: dict[str, float]) -> float:
    """Contracts a second counted until their last twin state was written, not only until
    the last request answered: what the marketplace sustains with its twins kept up."""
    spent = figures["e2e_trading_s"] + figures["e2e_twin_drain_s"]
    return round(figures["e2e_contracts"] / spent, 1)


def _p99(values: list[float]) -> float:
    """NaN without values (no state written or confirmed), which fails the report."""
    return round(percentile(values, 0.99), 3)


@contextmanager
def served_node(
    scratch: Path, *, pow_difficulty: int, milestone_interval_s: float
) -> Iterator[BenchNode]:
    """A node served on loopback in this process."""
    settings = NodeSettings(
        data_dir=scratch / "node",
        store="sqlite",
        pow_difficulty=pow_difficulty,
        milestone_interval_s=milestone_interval_s,
    )
    runtime = build_node(settings)
    store = runtime.store

    def confirmed_at_ms(message_id: bytes) -> int | None:
        metadata = store.metadata(message_id)
        if metadata is None or metadata.milestone_index is None:
            return None
        milestone = store.milestone(metadata.milestone_index)
        return None if milestone is None else milestone.timestamp_ms

    try:
        with ThreadedServer(create_app(runtime)) as server:
            yield BenchNode(server.url, store.message_count, confirmed_at_ms)
    finally:
        runtime.close()


def _trade_through(
    settings: MarketSettings,
    node: BenchNode | None,
    *,
    threads: int,
    pairs_per_thread: int,
    say: Progress,
) -> dict[str, float]:
    runtime = build_market(settings, config=MarketApiConfig(periodic_interval_s=1.0))
    try:
        before = node.message_count() if node is not None else 0
        with ThreadedServer(runtime.app()) as server:
            twins = "no twins" if node is None else f"twins on the node at {node.url}"
            say(
                f"{threads} threads x {pairs_per_thread} matched pairs through {server.url}"
                f", {twins}"
            )
            figures = trade_pairs(server.url, threads=threads, pairs_per_thread=pairs_per_thread)
            recorder = runtime.services.twins
            if node is not None and recorder is not None:
                say("waiting for the twin outbox to empty, then for milestones")
                figures.update(drain_twins(recorder, lambda: recorder.statistics()["queued"]))
                figures.update(confirmed_twins(recorder, node))
                figures["e2e_twins_written_contracts_per_s"] = _written_rate(figures)
        if node is not None:
            figures["e2e_ledger_messages"] = float(node.message_count() - before)
        return figures
    finally:
        runtime.close()


def run_market_e2e(
    *,
    threads: int = 8,
    pairs_per_thread: int = 50,
    data_dir: Path | None = None,
    ledger: bool = False,
    pow_difficulty: int = 11,
    milestone_interval_s: float = 1.0,
    carriers: bool = True,
    lag_limit_s: float = 0,
    progress: Progress | None = None,
) -> dict[str, float]:
    """Serve a fresh marketplace (in ``data_dir``, else a temporary one) and trade through it;
    with ``ledger``, against a node served here too, recording twins (in carriers, unless
    ``carriers`` is off: then one ledger message each), the marketplace's twin lag limit at
    ``lag_limit_s`` (0: off, the capacity measured)."""
    say = progress or (lambda _text: None)
    with tempfile.TemporaryDirectory(prefix="plaza-bench-market-") as scratch:
        market_dir = data_dir or Path(scratch) / "market"
        if not ledger:
            settings = MarketSettings(data_dir=market_dir, node_url="")
            return _trade_through(
                settings, None, threads=threads, pairs_per_thread=pairs_per_thread, say=say
            )
        with served_node(
            Path(scratch), pow_difficulty=pow_difficulty, milestone_interval_s=milestone_interval_s
        ) as node:
            settings = MarketSettings(
                data_dir=market_dir,
                node_url=node.url,
                twin_carriers=carriers,
                twin_lag_limit_s=lag_limit_s,
            )
            return _trade_through(
                settings, node, threads=threads, pairs_per_thread=pairs_per_thread, say=say
            )
