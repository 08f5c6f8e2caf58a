"""``plaza bench market``'s runs: in process, through a served marketplace, on PostgreSQL.

The command (:func:`plaza.cli.bench.market`) holds its options and the report; this
module the measurements they ask for, in the order they run, each adding its figures to
one :class:`~plaza.bench.market.MarketBenchmark`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import typer
from rich.console import Console

from plaza.bench.market import MarketBenchmark, run_market_benchmark
from plaza.bench.market_e2e import run_market_e2e
from plaza.bench.market_workers import (
    PostgresPlan,
    WorkersBenchError,
    check_database,
    run_market_workers,
)

__all__ = ["E2eRuns", "InProcess", "MarketRun", "postgres_plan"]


@dataclass(frozen=True, slots=True)
class InProcess:
    """The in-process part of ``plaza bench market``: matching, clearing, bid manager."""

    operations: int
    rounds: int
    clear_every: int
    clear_sizes: tuple[int, int]
    service_operations: int

    def measure(self, console: Console) -> MarketBenchmark:
        return run_market_benchmark(
            operations=self.operations,
            rounds=self.rounds,
            clear_every=self.clear_every,
            clear_sizes=self.clear_sizes,
            service_operations=self.service_operations,
            progress=lambda text: console.print(f"[dim]… {text}[/]"),
        )


def postgres_plan(
    url: str | None, workers: int | None, threads: int, pairs: int, *, ledger: bool
) -> PostgresPlan | None:
    """The PostgreSQL run the options ask for, if any, its database checked before
    anything is measured; --workers alone is a usage error."""
    if url is None:
        if workers is not None:
            raise typer.BadParameter(
                "needs --postgres (the workers share one database)", param_hint="--workers"
            )
        return None
    try:
        check_database(url)
    except WorkersBenchError as error:
        Console(stderr=True).print(f"[red]plaza bench market: {error}[/]")
        raise typer.Exit(1) from None
    return PostgresPlan(url, workers or 2, threads, pairs, ledger=ledger)


def with_postgres(result: MarketBenchmark, plan: PostgresPlan, console: Console) -> MarketBenchmark:
    """The e2e_pg_* figures: one worker of `plaza market run`, then ``plan.workers``."""
    try:
        figures = run_market_workers(plan, lambda text: console.print(f"[dim]… {text}[/]"))
    except WorkersBenchError as error:
        console.print(f"[red]plaza bench market: {error}[/]")
        raise typer.Exit(1) from None
    return replace(result, e2e_postgres=figures)


@dataclass(frozen=True, slots=True)
class E2eRuns:
    """The served marketplace's runs of ``plaza bench market``: without twins, then with
    them (one ledger message each, then in carriers, then under the lag limit if asked)."""

    threads: int
    pairs: int
    lag_limit_s: float
    console: Console

    def run(
        self, ledger: bool, *, carriers: bool = True, lag_limit_s: float = 0
    ) -> dict[str, float]:
        figures = run_market_e2e(
            threads=self.threads,
            pairs_per_thread=self.pairs,
            ledger=ledger,
            carriers=carriers,
            lag_limit_s=lag_limit_s,
            progress=lambda text: self.console.print(f"[dim]… {text}[/]"),
        )
        if ledger and (figures["e2e_twins_waiting"] or figures["e2e_twins_unconfirmed"]):
            raise RuntimeError("twin states were left unwritten or unconfirmed: figures flatter")
        return figures

    def measure(self, result: MarketBenchmark, *, ledger: bool) -> MarketBenchmark:
        plain = self.run(False)
        result = replace(
            result,
            e2e_contracts_per_s=plain["e2e_contracts_per_s"],
            e2e_p99_s=plain["e2e_p99_s"],
            e2e_twins=False,
        )
        return self._with_twins(result, plain) if ledger else result

    def _with_twins(self, result: MarketBenchmark, plain: dict[str, float]) -> MarketBenchmark:
        single, twins = self.run(True, carriers=False), self.run(True)
        if self.lag_limit_s > 0:
            limited = self.run(True, lag_limit_s=self.lag_limit_s)
            result = replace(result, e2e_limited=_limited_figures(limited, self.lag_limit_s))
        return replace(
            result,
            e2e_single=_single_figures(single, twins),
            e2e_contracts_per_s=twins["e2e_contracts_per_s"],
            e2e_p99_s=twins["e2e_p99_s"],
            e2e_twins=True,
            e2e_no_twins_contracts_per_s=plain["e2e_contracts_per_s"],
            e2e_no_twins_p99_s=plain["e2e_p99_s"],
            e2e_ledger_messages=int(twins["e2e_ledger_messages"]),
            e2e_twin_lag_p99_s=twins["e2e_twin_lag_p99_s"],
            e2e_twin_written_lag_p99_s=twins["e2e_twin_written_lag_p99_s"],
            e2e_twin_drain_s=twins["e2e_twin_drain_s"],
        )


def _limited_figures(limited: dict[str, float], limit_s: float) -> dict[str, float]:
    """The run under the twin lag limit: what it left of the lag, and what it cost."""
    return {
        "e2e_limited_twin_lag_limit_s": limit_s,
        "e2e_limited_contracts_per_s": limited["e2e_contracts_per_s"],
        "e2e_limited_refused": limited["e2e_refused"],
        "e2e_limited_twin_lag_p99_s": limited["e2e_twin_lag_p99_s"],
        "e2e_limited_twin_lag_max_s": limited["e2e_twin_lag_max_s"],
        "e2e_limited_twin_drain_s": limited["e2e_twin_drain_s"],
        "e2e_limited_twins_written_contracts_per_s": limited["e2e_twins_written_contracts_per_s"],
    }


def _single_figures(single: dict[str, float], carried: dict[str, float]) -> dict[str, float]:
    """The baseline of the same run: twins written one ledger message each, no carriers."""
    return {
        "e2e_single_contracts_per_s": single["e2e_contracts_per_s"],
        "e2e_single_ledger_messages": single["e2e_ledger_messages"],
        "e2e_single_twin_lag_p99_s": single["e2e_twin_lag_p99_s"],
        "e2e_single_twin_drain_s": single["e2e_twin_drain_s"],
        "e2e_single_twins_written_contracts_per_s": single["e2e_twins_written_contracts_per_s"],
        "e2e_twins_written_contracts_per_s": carried["e2e_twins_written_contracts_per_s"],
        "e2e_carriers_vs_single": round(
            carried["e2e_contracts_per_s"] / single["e2e_contracts_per_s"], 3
        ),
        "e2e_carriers_vs_single_twins_written": round(
            carried["e2e_twins_written_contracts_per_s"]
            / single["e2e_twins_written_contracts_per_s"],
            3,
        ),
    }


@dataclass(frozen=True, slots=True)
class MarketRun:
    """Every run of one ``plaza bench market``: in process, then served (``e2e``, with twins
    if ``ledger``), then on PostgreSQL (``postgres``)."""

    in_process: InProcess
    e2e: E2eRuns | None
    ledger: bool
    postgres: PostgresPlan | None

    def measure(self, console: Console) -> MarketBenchmark:
        result = self.in_process.measure(console)
        if self.e2e is not None:
            result = self.e2e.measure(result, ledger=self.ledger)
        if self.postgres is not None:
            result = with_postgres(result, self.postgres, console)
        return result
