"""``plaza simulate ...``: markets run in this process at scale, with measured figures."""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from plaza.agents.energy.runner import default_workers, simulate_energy
from plaza.agents.energy.simulate import SimulationReport
from plaza.energy.kind import ENERGY
from plaza.verticals import registry

simulate_app = typer.Typer(help="Simulate Plaza's markets in this process.", no_args_is_help=True)


class PolicyName(enum.StrEnum):
    UNIFORM = "uniform"
    ONE_TO_ONE = "one_to_one"
    CDA = "cda"


@simulate_app.command("energy")
def energy(
    agents: Annotated[int, typer.Option(min=2, help="Producers and consumers, mixed.")] = 1000,
    slots: Annotated[int, typer.Option(min=1, help="15-minute market slots (672: a week).")] = 96,
    seed: Annotated[int, typer.Option(help="Same seed, same agents and trades.")] = 42,
    policy: Annotated[
        PolicyName, typer.Option(help="How each slot's market clears.")
    ] = PolicyName.UNIFORM,
    reference_price: Annotated[
        int, typer.Option(min=1, help="Base units per kWh that limit prices gather around.")
    ] = 250,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Processes running the days (default: one per core)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Trade energy among N devices over S slots, and report trades, energy and speed.

    Each slot every producer offers what it produces in that slot and every
    consumer requests what it needs; the slot clears with Plaza's matching.
    cleared_energy is in Wh, average_price in base units per kWh (weighted by
    energy).
    """
    run = partial(
        simulate_energy,
        agents,
        slots,
        seed=seed,
        policy=policy.value,
        reference_price=reference_price,
        workers=workers or default_workers(),
    )
    if as_json:
        typer.echo(json.dumps(run().to_json()))
        return
    title = f"{agents} agents, {slots} slots of 15 minutes, {policy.value}"
    _print_table(_with_progress(run, slots, title))


def _with_progress(
    run: Callable[..., SimulationReport], slots: int, title: str
) -> SimulationReport:
    """Run with a bar of the slots done, on standard error so the table stays alone."""
    console = Console(stderr=True)
    columns = (TextColumn("[bold]slots"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    console.print(f"[dim]… {title}[/]")
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("slots", total=slots)
        return run(progress=lambda done: progress.update(task, completed=done))


def _energy(wh: Any) -> str:
    return registry.units()[ENERGY.kind].show_quantity(int(wh))


#: Each figure with its unit, as a person reads it (the JSON keeps bare numbers).
_SHOWN: dict[str, Callable[[Any], str]] = {
    "reference_price": lambda price: f"{price:,} coins per kWh",
    "offered_energy": _energy,
    "requested_energy": _energy,
    "cleared_energy": _energy,
    "traded_value": lambda coins: f"{coins:,} coins",
    "average_price": lambda price: f"{price:,.1f} coins per kWh",
    "elapsed_s": lambda s: f"{s} s",
    "setup_s": lambda s: f"{s} s",
    "slots_per_s": lambda rate: f"{rate:,.1f} slots/s",
}


_LABELS = {"elapsed_s": "elapsed", "setup_s": "setup", "slots_per_s": "speed"}


def _print_table(report: SimulationReport) -> None:
    table = Table(title="plaza simulate energy")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in report.to_json().items():
        shown = _SHOWN.get(key)
        label = _LABELS.get(key, key.replace("_", " "))
        table.add_row(label, str(value) if shown is None else shown(value))
    Console().print(table)
