"""``plaza market run``: the settings from options and ``PLAZA_MARKET_*``, the banner, uvicorn.

One worker (the default) serves the marketplace it built in this process; several are
served by :mod:`plaza.cli._market_workers`, each building its own.
"""

from __future__ import annotations

from typing import Any

import typer
import uvicorn
from rich.console import Console

from plaza.api.market import MARKET_PREFIX
from plaza.bootstrap import MarketRuntime, build_market
from plaza.cli._market_common import err
from plaza.cli._market_workers import export_settings, serve_workers, shared_database_problem
from plaza.clients.node import NodeClient
from plaza.settings import MarketSettings

__all__ = ["run_market"]


def _node_status(url: str) -> str:
    with NodeClient(url, timeout=2.0) as node:
        return "reachable" if node.health() else "not reachable now; serving anyway"


def _twins(settings: MarketSettings, runtime: MarketRuntime) -> str:
    if runtime.services.twins is None:
        return "off (no node)"
    auditors = len(settings.auditor_keys)
    return f"on (every order, asset, contract and settlement step); auditor keys: {auditors}"


def _banner(settings: MarketSettings, runtime: MarketRuntime, workers: int) -> None:
    """Where everything is; never a secret (the database URL may hold a password)."""
    console = Console(stderr=True)
    services = runtime.services
    base = f"http://{settings.host}:{settings.port}"
    database = "SQLite in the data directory" if settings.database_url is None else "by URL"
    console.print(f"[bold]Plaza marketplace[/] [cyan]{services.identity.address}[/]")
    console.print(f"  data directory  {settings.data_dir.resolve()}")
    console.print(f"  API             {base}{MARKET_PREFIX}/info")
    console.print(f"  API docs        {base}/docs")
    console.print(f"  live events     {base}{MARKET_PREFIX}/events")
    console.print(f"  audience        {services.audience}")
    console.print(f"  matching        {settings.policy}")
    for vertical in runtime.verticals.verticals():
        kinds = ", ".join(
            f"{spec.kind} ({spec.policy or settings.policy})" for spec in vertical.kinds
        )
        console.print(f"  vertical        {vertical.name}: {kinds or 'no kinds'}")
    console.print(f"  database        {database}; jobs: {settings.jobs}")
    if workers > 1:
        console.print(f"  workers         {workers} processes, taking turns at the book")
    console.print(f"  periodic round  every {settings.periodic_interval_s} s")
    if settings.node_url:
        console.print(f"  node            {settings.node_url} ({_node_status(settings.node_url)})")
    else:
        console.print("  node            none")
    console.print(f"  twins           {_twins(settings, runtime)}")
    console.print("  payments        made by the consumers' agents (the marketplace pays nothing)")


def _serve_here(settings: MarketSettings, runtime: MarketRuntime) -> None:
    """One worker: this process serves the marketplace it built, and closes it afterwards."""
    try:
        _banner(settings, runtime, 1)
        uvicorn.run(
            runtime.app(),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            timeout_graceful_shutdown=2,  # open event streams must not hold shutdown forever
        )
    finally:
        runtime.close()


def run_market(overrides: dict[str, Any], *, workers: int = 1) -> None:
    """Serve until interrupted; options given on the command line win over the environment.

    Several workers need a PostgreSQL database (exit 2 otherwise). This process then
    makes the marketplace once, so its keys, pepper and schema exist before they start,
    prints the banner, closes it, and supervises the workers."""
    settings = MarketSettings(**{k: v for k, v in overrides.items() if v is not None})
    problem = shared_database_problem(settings) if workers > 1 else None
    if problem is not None:
        err.print(f"[red]error:[/] --workers {workers}: {problem}")
        raise typer.Exit(2)
    runtime = build_market(settings)
    if workers == 1:
        _serve_here(settings, runtime)
        return
    try:
        _banner(settings, runtime, workers)
    finally:
        runtime.close()
    export_settings(overrides)
    code = serve_workers(settings, workers)
    if code:
        raise typer.Exit(code)
