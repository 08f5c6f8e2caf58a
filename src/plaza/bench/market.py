"""``plaza bench market``: the bid manager's matching rate against a minimal book, and clearing.

* **Matching operations per second**, in-process, for every built-in policy, on
  one mixed workload: 75% new orders (offers and requests half and half, prices
  uniform within ±5% of a mid, quantities 1 to 100, 100 owners) and 25%
  cancellations of an order added earlier (filled or not). The uniform policy
  also clears every ``clear_every`` operations, inside the timing.
* **The baseline** is :class:`ReferenceBook`, a minimal pure-Python book (two
  heaps, lazy cancellation, no kinds, filters, statuses or owners), timed in the
  same run over the same orders, so the ratio survives a noisy machine. Every
  contender runs ``rounds`` times, interleaved, and keeps its best round; the
  garbage collector is paused while timing, as :mod:`timeit` does.
* **Uniform-price clearing time** of a book holding N offers and N requests
  (prices within ±10% of the mid, so about half cross): the whole
  :meth:`~plaza.market.matching.MatchingEngine.clear`, from collecting the live
  orders to the last fill.
* **The bid manager** (journal entries, matches, snapshots, one store append per
  step) with the CDA policy, on the in-memory store and on SQLite.

The end-to-end figures through the HTTP API (contracts per second, p99 latency)
come with the API layer; until then they are reported as null.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import heapq
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from plaza.market import (
    BidManager,
    BookStore,
    MemoryBookStore,
    NewOrder,
    Order,
    OrderNotActive,
    Side,
)
from plaza.market.book.sqlite import SqliteBookStore
from plaza.market.matching import POLICIES, MatchingEngine, Resting, policy_named
from plaza.testing import FakeClock

__all__ = ["MarketBenchmark", "ReferenceBook", "run_market_benchmark"]

Progress = Callable[[str], None]

_MID = 1000
_DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class MarketBenchmark:
    operations: int
    rounds: int
    uniform_clear_every: int
    baseline_ops_per_s: float
    policy_ops_per_s: dict[str, float]
    cda_to_baseline_ratio: float
    clear_10k_s: float
    clear_100k_s: float
    bid_manager_memory_ops_per_s: float
    bid_manager_sqlite_ops_per_s: float
    e2e_contracts_per_s: float | None = None
    e2e_p99_s: float | None = None
    e2e_twins: bool | None = None  # whether the two above include recording twins on a node
    e2e_no_twins_contracts_per_s: float | None = None
    e2e_no_twins_p99_s: float | None = None
    e2e_ledger_messages: int | None = None
    e2e_twin_lag_p99_s: float | None = None  # twin state committed -> its message confirmed
    e2e_twin_written_lag_p99_s: float | None = None  # ... -> marked written (its batch's end)
    e2e_twin_drain_s: float | None = None  # after the last request, until no twin was pending
    e2e_postgres: dict[str, float] = field(default_factory=dict)  # e2e_pg_*, with --postgres
    e2e_single: dict[str, float] = field(default_factory=dict)  # e2e_single_*: no carriers
    e2e_limited: dict[str, float] = field(default_factory=dict)  # e2e_limited_*: lag limit on

    def figures(self) -> dict[str, object]:
        """Flat figures: one ``<policy>_ops_per_s`` per policy (``cda_ops_per_s`` among them)."""
        figures: dict[str, object] = {
            "operations": self.operations,
            "rounds": self.rounds,
            "baseline_ops_per_s": round(self.baseline_ops_per_s),
        }
        figures.update({f"{n}_ops_per_s": round(v) for n, v in self.policy_ops_per_s.items()})
        figures.update(
            cda_to_baseline_ratio=round(self.cda_to_baseline_ratio, 3),
            uniform_clear_every=self.uniform_clear_every,
            clear_10k_s=round(self.clear_10k_s, 4),
            clear_100k_s=round(self.clear_100k_s, 4),
            bid_manager_memory_ops_per_s=round(self.bid_manager_memory_ops_per_s),
            bid_manager_sqlite_ops_per_s=round(self.bid_manager_sqlite_ops_per_s),
            e2e_contracts_per_s=self.e2e_contracts_per_s,
            e2e_p99_s=self.e2e_p99_s,
            e2e_twins=self.e2e_twins,
            e2e_no_twins_contracts_per_s=self.e2e_no_twins_contracts_per_s,
            e2e_no_twins_p99_s=self.e2e_no_twins_p99_s,
            e2e_ledger_messages=self.e2e_ledger_messages,
            e2e_twin_lag_p99_s=self.e2e_twin_lag_p99_s,
            e2e_twin_written_lag_p99_s=self.e2e_twin_written_lag_p99_s,
            e2e_twin_drain_s=self.e2e_twin_drain_s,
        )
        figures.update(self.e2e_single)
        figures.update(self.e2e_limited)
        figures.update(self.e2e_postgres)
        return figures


class ReferenceBook:
    """The baseline: price-time priority on two heaps of tuples, and nothing else.

    No kinds, owners, windows, filters, statuses or per-level queues: an order is
    ``(id, is_request, price, quantity)``, a fill a tuple in :attr:`trades`.
    """

    def __init__(self) -> None:
        self.bids: list[tuple[int, int, str, list[int]]] = []  # (-price, seq, id, [left])
        self.asks: list[tuple[int, int, str, list[int]]] = []  # (price, seq, id, [left])
        self.live: dict[str, list[int]] = {}
        self.trades: list[tuple[str, str, int, int]] = []
        self.seq = 0

    def add(self, order: tuple[str, bool, int, int]) -> None:
        order_id, is_request, price, left = order
        self.seq += 1
        book, limit = (self.asks, price) if is_request else (self.bids, -price)
        while left and book:
            key, _, resting_id, cell = book[0]
            if not cell[0]:
                heapq.heappop(book)
                continue
            if key > limit:
                break
            quantity = min(left, cell[0])
            cell[0] -= quantity
            left -= quantity
            self.trades.append((resting_id, order_id, quantity, abs(key)))
            if not cell[0]:
                heapq.heappop(book)
                del self.live[resting_id]
        if left:
            cell = [left]
            own = self.bids if is_request else self.asks
            heapq.heappush(own, (-price if is_request else price, self.seq, order_id, cell))
            self.live[order_id] = cell

    def cancel(self, order_id: str) -> None:
        cell = self.live.pop(order_id, None)
        if cell is not None:
            cell[0] = 0


@dataclass(frozen=True, slots=True)
class _Workload:
    specs: list[NewOrder]  # every added order, in order
    ops: list[tuple[bool, int]]  # (is an add, index into specs)


def _workload(operations: int, seed: int) -> _Workload:
    rng = random.Random(seed)
    start = FakeClock().now_ms()
    specs: list[NewOrder] = []
    ops: list[tuple[bool, int]] = []
    for _ in range(operations):
        if specs and rng.random() < 0.25:
            ops.append((False, rng.randrange(len(specs))))
            continue
        side = Side.OFFER if rng.random() < 0.5 else Side.REQUEST
        price = _MID + rng.randint(-_MID // 20, _MID // 20)
        owner = f"p{rng.randrange(100)}"
        specs.append(
            NewOrder(side, owner, "energy", rng.randint(1, 100), price, start, start + _DAY_MS)
        )
        ops.append((True, len(specs) - 1))
    return _Workload(specs, ops)


def _orders(specs: Sequence[NewOrder], start_ms: int) -> list[Order]:
    return [
        Order.accept(spec, order_id=f"ord-{n}", priority=n, at_ms=start_ms)
        for n, spec in enumerate(specs, 1)
    ]


def _timed(run: Callable[[], object]) -> float:
    """Seconds ``run`` takes with the garbage collector paused."""
    gc.collect()
    gc.disable()
    try:
        began = time.perf_counter()
        run()
        return time.perf_counter() - began
    finally:
        gc.enable()


def _baseline_round(workload: _Workload) -> float:
    book = ReferenceBook()
    items = [(s.side is Side.REQUEST, s) for s in workload.specs]
    inputs = [(f"ord-{n}", req, s.unit_price, s.quantity) for n, (req, s) in enumerate(items, 1)]
    ops = [(add, inputs[i] if add else f"ord-{i + 1}") for add, i in workload.ops]
    add, cancel = book.add, book.cancel

    def run() -> None:
        for is_add, item in ops:
            if is_add:
                add(item)  # type: ignore[arg-type]
            else:
                cancel(item)  # type: ignore[arg-type]

    return len(ops) / _timed(run)


def _policy_round(name: str, workload: _Workload, orders: list[Order], clear_every: int) -> float:
    engine = MatchingEngine(policy_named(name))
    ops = [(add, orders[i] if add else f"ord-{i + 1}") for add, i in workload.ops]
    chunks = [ops[i : i + clear_every] for i in range(0, len(ops), clear_every)]
    submit, remove, clear = engine.submit, engine.remove, engine.clear
    now = orders[0].accepted_at_ms
    clears = name == "uniform"
    active = engine.active  # cancelling looks the order up by id, as the order book does

    def run() -> None:
        for chunk in chunks:
            for is_add, item in chunk:
                if is_add:
                    submit(Resting(item), now)  # type: ignore[arg-type]
                else:
                    entry = active.get(item)  # type: ignore[arg-type]
                    if entry is not None:
                        remove(entry)
            if clears:
                clear(now)

    return len(ops) / _timed(run)


def _clearing_seconds(per_side: int, rounds: int, seed: int) -> float:
    """Best time of ``rounds`` uniform clearings of a fresh book of ``per_side`` orders a side."""
    rng = random.Random(seed)
    start = FakeClock().now_ms()
    specs = [
        NewOrder(
            side,
            f"p{rng.randrange(1000)}",
            "energy",
            rng.randint(1, 100),
            _MID + rng.randint(-_MID // 10, _MID // 10),
            start,
            start + _DAY_MS,
        )
        for side in (Side.OFFER, Side.REQUEST)
        for _ in range(per_side)
    ]
    rng.shuffle(specs)
    orders = _orders(specs, start)
    best = float("inf")
    for _ in range(rounds):
        engine = MatchingEngine(policy_named("uniform"))
        for order in orders:
            engine.rest(Resting(order))
        best = min(best, _timed(functools.partial(engine.clear, start)))
    return best


def _bid_manager_round(store: BookStore, workload: _Workload, operations: int) -> float:
    manager = BidManager(store, clock=FakeClock(), policy="cda")
    ops = workload.ops[:operations]
    specs = workload.specs

    def run() -> None:
        for is_add, index in ops:
            if is_add:
                manager.submit_order(specs[index])
                continue
            # an order filled or cancelled already is refused: the refusal is part of the work
            with contextlib.suppress(OrderNotActive):
                manager.cancel_order(f"ord-{index + 1}", participant=specs[index].owner)

    return len(ops) / _timed(run)


def _bid_manager_figures(workload: _Workload, operations: int, progress: Progress) -> list[float]:
    progress(f"bid manager: {operations} operations, memory and SQLite stores")
    # the first ``operations`` ops only cancel orders among their own adds
    figures = [_bid_manager_round(MemoryBookStore(), workload, operations)]
    with tempfile.TemporaryDirectory(prefix="plaza-bench-market-") as directory:
        store = SqliteBookStore(Path(directory) / "book.db")
        try:
            figures.append(_bid_manager_round(store, workload, operations))
        finally:
            store.close()
    return figures


def run_market_benchmark(
    *,
    operations: int = 200_000,
    rounds: int = 3,
    clear_every: int = 1000,
    clear_sizes: tuple[int, int] = (10_000, 100_000),
    service_operations: int = 20_000,
    seed: int = 42,
    progress: Progress = lambda text: None,
) -> MarketBenchmark:
    """Measure matching per policy against the baseline, clearing, and the bid manager."""
    progress(f"workload: {operations} operations (75% adds, 25% cancels)")
    workload = _workload(operations, seed)
    orders = _orders(workload.specs, FakeClock().now_ms())
    best = dict.fromkeys(("baseline", *POLICIES), 0.0)
    for number in range(1, rounds + 1):
        progress(f"matching round {number} of {rounds}: baseline, {', '.join(POLICIES)}")
        best["baseline"] = max(best["baseline"], _baseline_round(workload))
        for name in POLICIES:
            best[name] = max(best[name], _policy_round(name, workload, orders, clear_every))
    small, large = clear_sizes
    progress(f"uniform clearing of {small} and {large} orders a side")
    clear_small = _clearing_seconds(small, rounds=3, seed=seed)
    clear_large = _clearing_seconds(large, rounds=2, seed=seed)
    memory, sqlite = _bid_manager_figures(workload, min(service_operations, operations), progress)
    baseline = best.pop("baseline")
    return MarketBenchmark(
        operations=operations,
        rounds=rounds,
        uniform_clear_every=clear_every,
        baseline_ops_per_s=baseline,
        policy_ops_per_s=best,
        cda_to_baseline_ratio=best["cda"] / baseline,
        clear_10k_s=clear_small,
        clear_100k_s=clear_large,
        bid_manager_memory_ops_per_s=memory,
        bid_manager_sqlite_ops_per_s=sqlite,
    )
