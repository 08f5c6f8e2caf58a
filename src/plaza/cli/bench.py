"""``plaza bench ...``: benchmarks that print measured figures."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from plaza.bench.channels import run_channel_benchmark
from plaza.bench.ledger import run_ledger_benchmark
from plaza.bench.network import run_network_benchmark
from plaza.bench.services import ServicesPlan, run_services_benchmark
from plaza.bench.streams import StreamsPlan, run_streams_benchmark
from plaza.bench.telco import TelcoPlan, run_telco_benchmark
from plaza.cli._bench_market import E2eRuns, InProcess, MarketRun, postgres_plan
from plaza.devnet import DevnetError

bench_app = typer.Typer(help="Measure Plaza on this machine.", no_args_is_help=True)


@bench_app.command("ledger")
def ledger(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    messages: Annotated[int, typer.Option(min=100, help="Messages to ingest.")] = 5000,
    pow_difficulty: Annotated[int, typer.Option(min=0, max=20)] = 11,
    milestone_interval: Annotated[float, typer.Option(min=0.05)] = 1.0,
    latency_seconds: Annotated[float, typer.Option(min=1.0)] = 8.0,
    idle_subscribers: Annotated[
        int, typer.Option(min=1, max=5000, help="Idle event streams one client opens.")
    ] = 1000,
    orphans: Annotated[
        int, typer.Option(min=100, max=100_000, help="Orphans in the flood (1,000 a host).")
    ] = 12_000,
) -> None:
    """Ingest rate on SQLite vs Ed25519 verification, confirmation latency, and ingest under
    the two starvation attacks (idle event streams, an orphan flood)."""
    console = Console(stderr=True)
    result = run_ledger_benchmark(
        messages=messages,
        pow_difficulty=pow_difficulty,
        milestone_interval_s=milestone_interval,
        latency_duration_s=latency_seconds,
        idle_subscribers=idle_subscribers,
        orphans=orphans,
        progress=lambda text: console.print(f"[dim]… {text}[/]"),
    )
    _report("plaza bench ledger", asdict(result), as_json=as_json)


def _report(title: str, figures: dict[str, object], *, as_json: bool) -> None:
    """Print the figures; a figure without samples (NaN) is printed as null and the
    command fails naming it, so no script takes a missing measurement for a result."""
    missing = [key for key, value in figures.items() if _no_samples(value)]
    figures = {key: None if key in missing else value for key, value in figures.items()}
    if as_json:
        typer.echo(json.dumps(figures, allow_nan=False))
    else:
        table = Table(title=title)
        table.add_column("figure")
        table.add_column("value", justify="right")
        for key, value in figures.items():
            table.add_row(key, str(value))
        Console().print(table)
    if missing:
        Console(stderr=True).print(f"[red]{title}: no samples for {', '.join(missing)}[/]")
        raise typer.Exit(1)


def _no_samples(value: object) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


@bench_app.command("network")
def network(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    nodes: Annotated[int, typer.Option(min=2, max=8)] = 3,
    milestone_interval: Annotated[float, typer.Option(min=0.05)] = 1.0,
    pow_difficulty: Annotated[int, typer.Option(min=0, max=20)] = 11,
    throughput_seconds: Annotated[float, typer.Option(min=1.0)] = 10.0,
    latency_seconds: Annotated[float, typer.Option(min=1.0)] = 8.0,
    propagation_samples: Annotated[int, typer.Option(min=1)] = 100,
    base_port: Annotated[int, typer.Option(help="Node i listens on base port + i.")] = 18650,
) -> None:
    """Propagation, transfer confirmation and throughput on a devnet of node processes."""
    console = Console(stderr=True)
    try:
        result = run_network_benchmark(
            nodes=nodes,
            milestone_interval_s=milestone_interval,
            pow_difficulty=pow_difficulty,
            throughput_seconds=throughput_seconds,
            latency_seconds=latency_seconds,
            propagation_samples=propagation_samples,
            base_port=base_port,
            progress=lambda text: console.print(f"[dim]… {text}[/]"),
        )
    except DevnetError as error:
        console.print(f"[red]plaza bench network: {error}[/]")
        raise typer.Exit(1) from None
    _report("plaza bench network", asdict(result), as_json=as_json)


@bench_app.command("channels")
def channels(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    messages: Annotated[int, typer.Option(min=10, help="Messages to publish and read.")] = 300,
    pow_difficulty: Annotated[int, typer.Option(min=0, max=20)] = 11,
    latency_samples: Annotated[int, typer.Option(min=10, help="Messages timed live.")] = 200,
    envelopes: Annotated[int, typer.Option(min=10, help="Envelope round trips.")] = 500,
) -> None:
    """Channel publish and read rates, live latency, and RSA vs Plaza envelopes."""
    console = Console(stderr=True)
    result = run_channel_benchmark(
        messages=messages,
        pow_difficulty=pow_difficulty,
        latency_samples=latency_samples,
        envelopes=envelopes,
        progress=lambda text: console.print(f"[dim]… {text}[/]"),
    )
    _report("plaza bench channels", asdict(result), as_json=as_json)


@bench_app.command("streams")
def streams(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    sensors: Annotated[int, typer.Option(min=1, help="Sensor agents.")] = 20,
    buyers: Annotated[int, typer.Option(min=2, help="Buyers per sensor.")] = 3,
    interval: Annotated[float, typer.Option(min=0.05, help="Seconds between readings.")] = 1.0,
    seconds: Annotated[float, typer.Option(min=1.0, help="How long the sensors run.")] = 20.0,
    followers: Annotated[int, typer.Option(min=0, help="Buyers following live.")] = 10,
    workers: Annotated[int, typer.Option(min=1, help="Threads stepping the sensors.")] = 4,
    poll: Annotated[float, typer.Option(min=0.05, help="Seconds between payment looks.")] = 0.5,
    node_process: Annotated[
        bool, typer.Option(help="Run the node as a process of its own, or in this one.")
    ] = True,
    tips_max_age: Annotated[
        int, typer.Option("--tips-max-age-ms", min=0, help="A worker's tips reused (ms; 0: not).")
    ] = 500,
) -> None:
    """Streams' channel layer on a live node (direct payments, no marketplace): readings/s,
    delivery, grants, revocation."""
    console = Console(stderr=True)
    plan = StreamsPlan(
        sensors,
        buyers,
        interval,
        seconds,
        followers,
        workers,
        poll_s=poll,
        node_process=node_process,
        tips_max_age_ms=tips_max_age,
    )
    result = run_streams_benchmark(plan, progress=lambda text: console.print(f"[dim]… {text}[/]"))
    _report("plaza bench streams", asdict(result), as_json=as_json)


# ``plaza bench market``'s options, declared apart (as services' NodeOption is) so the
# command holds only the run: options, in-process figures, served figures, report.
_Operations = Annotated[int, typer.Option(min=100, help="Operations per matching round.")]
_Rounds = Annotated[int, typer.Option(min=1, help="Rounds per contender; best kept.")]
_ClearEvery = Annotated[int, typer.Option(min=1, help="Uniform policy: ops between clearings.")]
_ClearSmall = Annotated[int, typer.Option(min=10, help="Orders a side for clear_10k_s.")]
_ClearLarge = Annotated[int, typer.Option(min=10, help="Orders a side for clear_100k_s.")]
_ServiceOperations = Annotated[int, typer.Option(min=10, help="Bid manager operations.")]
_E2e = Annotated[bool, typer.Option(help="Also trade through a served marketplace API (SQLite).")]
_E2eThreads = Annotated[int, typer.Option(min=1)]
_E2ePairs = Annotated[int, typer.Option(min=1, help="Matched pairs per thread.")]
_E2eLedger = Annotated[
    bool, typer.Option(help="Record twins on a node served here (as `market run` does).")
]
_TwinLagLimit = Annotated[
    float,
    typer.Option(
        min=0,
        help="With --e2e-ledger: also trade with the marketplace's twin lag limit at this many "
        "seconds, the traders waiting out its refusals (the e2e_limited_* figures; 0: not run).",
    ),
]
_Postgres = Annotated[
    str | None,
    typer.Option(
        help="Also trade through `plaza market run` on this PostgreSQL database "
        "(postgresql://…; a fresh schema per run, dropped after).",
        show_default=False,
    ),
]
_Workers = Annotated[
    int | None,
    typer.Option(min=1, help="With --postgres: worker processes (2 if not given), vs 1."),
]


@bench_app.command("market")
def market(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    operations: _Operations = 200_000,
    rounds: _Rounds = 3,
    clear_every: _ClearEvery = 1000,
    clear_small: _ClearSmall = 10_000,
    clear_large: _ClearLarge = 100_000,
    service_operations: _ServiceOperations = 20_000,
    e2e: _E2e = True,
    e2e_threads: _E2eThreads = 8,
    e2e_pairs: _E2ePairs = 50,
    e2e_ledger: _E2eLedger = True,
    twin_lag_limit: _TwinLagLimit = 0,
    postgres: _Postgres = None,
    workers: _Workers = None,
) -> None:
    """In-process matching per policy vs a minimal heap book, uniform clearing, bid manager,
    and contracts per second through the marketplace's HTTP API with persistence.

    With --e2e-ledger (the default) the end-to-end figures include staging every
    order, contract and settlement twin state, which the twin outbox's publisher
    writes to a node (proof of work 11); e2e_twin_lag_p99_s is how long a state
    waited to be confirmed there. The same trading without twins is reported
    beside them as e2e_no_twins_*, and with twins written one ledger message each
    (no carriers, the baseline) as e2e_single_* (e2e_carriers_vs_single: the ratio);
    with --twin-lag-limit S, once more under that limit as e2e_limited_*.

    With --postgres the same trading goes through `plaza market run` as a process on
    that database, once with one worker and once with --workers: the e2e_pg_* figures
    (e2e_pg_workers_vs_1 their ratio).
    """
    console = Console(stderr=True)
    plan = postgres_plan(postgres, workers, e2e_threads, e2e_pairs, ledger=e2e_ledger)
    sizes = (clear_small, clear_large)
    in_process = InProcess(operations, rounds, clear_every, sizes, service_operations)
    runs = E2eRuns(e2e_threads, e2e_pairs, twin_lag_limit, console) if e2e else None
    result = MarketRun(in_process, runs, e2e_ledger, plan).measure(console)
    _report("plaza bench market", result.figures(), as_json=as_json)


@bench_app.command("services")
def services(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    customers: Annotated[int, typer.Option(min=1, help="Customers, a thread each.")] = 32,
    seconds: Annotated[float, typer.Option(min=1.0, help="Seconds of steady load.")] = 20.0,
    kill_seconds: Annotated[
        float, typer.Option(min=3.0, help="Seconds of load around the provider's SIGKILL.")
    ] = 15.0,
    gateway_samples: Annotated[int, typer.Option(min=10, help="Paid gateway requests.")] = 200,
    milestone_interval: Annotated[float, typer.Option(min=0.05)] = 1.0,
) -> None:
    """Pay-per-call services through a live node: calls/s and latency, the 402 gateway's
    overhead, and the coins lost to a provider killed mid-load (must be 0)."""
    console = Console(stderr=True)
    plan = ServicesPlan(
        customers=customers,
        seconds=seconds,
        kill_seconds=kill_seconds,
        gateway_samples=gateway_samples,
        milestone_interval_s=milestone_interval,
    )
    result = run_services_benchmark(plan, progress=lambda text: console.print(f"[dim]… {text}[/]"))
    _report("plaza bench services", asdict(result), as_json=as_json)


@bench_app.command("telco")
def telco(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    book: Annotated[int, typer.Option(min=2, help="Open offerings and requests.")] = 10_000,
    samples: Annotated[int, typer.Option(min=2, help="Timed creations, book open.")] = 300,
    orders: Annotated[int, typer.Option(min=1, help="Product orders placed, timed.")] = 400,
    threads: Annotated[int, typer.Option(min=1, help="Service providers at once.")] = 8,
) -> None:
    """Telco assets through the TM Forum API: matching on creation with a full book of mixed
    types and places, and product orders per second (payment held, twins on a node)."""
    console = Console(stderr=True)
    plan = TelcoPlan(book=book, samples=samples, orders=orders, threads=threads)
    figures = run_telco_benchmark(plan, progress=lambda text: console.print(f"[dim]… {text}[/]"))
    _report("plaza bench telco", figures, as_json=as_json)
