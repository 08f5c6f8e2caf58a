"""``plaza bench ...``: benchmarks that print measured figures."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from plaza.bench.ledger import run_ledger_benchmark

bench_app = typer.Typer(help="Measure Plaza on this machine.", no_args_is_help=True)


@bench_app.command("ledger")
def ledger(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    messages: Annotated[int, typer.Option(min=100, help="Messages to ingest.")] = 5000,
    pow_difficulty: Annotated[int, typer.Option(min=0, max=20)] = 11,
    milestone_interval: Annotated[float, typer.Option(min=0.05)] = 1.0,
    latency_seconds: Annotated[float, typer.Option(min=1.0)] = 8.0,
) -> None:
    """Ingest rate on SQLite vs Ed25519 verification, and confirmation latency."""
    console = Console(stderr=True)
    result = run_ledger_benchmark(
        messages=messages,
        pow_difficulty=pow_difficulty,
        milestone_interval_s=milestone_interval,
        latency_duration_s=latency_seconds,
        progress=lambda text: console.print(f"[dim]… {text}[/]"),
    )
    if as_json:
        typer.echo(json.dumps(asdict(result)))
        return
    table = Table(title="plaza bench ledger")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in asdict(result).items():
        table.add_row(key, str(value))
    Console().print(table)
