"""``plaza node ...``: run a ledger node."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from plaza.api import create_app
from plaza.bootstrap import build_node
from plaza.settings import NodeSettings

node_app = typer.Typer(help="Run and inspect a ledger node.", no_args_is_help=True)


@node_app.command("run")
def run(
    data_dir: Annotated[
        Path, typer.Option(help="Where the node keeps its database and keys.")
    ] = Path(".plaza/node"),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8650,
    coordinator: Annotated[
        bool, typer.Option(help="Issue milestones (a single-node devnet is its own coordinator).")
    ] = True,
    pow_difficulty: Annotated[
        int, typer.Option(min=0, max=32, help="Leading zero bits of proof of work required.")
    ] = 11,
    milestone_interval: Annotated[
        float, typer.Option(min=0.01, help="Seconds between milestones.")
    ] = 1.0,
    store: Annotated[str, typer.Option(help="sqlite, postgres or memory.")] = "sqlite",
) -> None:
    """Run a node with its HTTP API; a fresh data directory becomes a one-node devnet."""
    settings = NodeSettings(
        data_dir=data_dir,
        host=host,
        port=port,
        coordinator=coordinator,
        pow_difficulty=pow_difficulty,
        milestone_interval_s=milestone_interval,
        store=store,  # type: ignore[arg-type]  # pydantic validates the literal
    )
    console = Console(stderr=True)
    runtime = build_node(settings)
    genesis = runtime.tangle.genesis
    base = f"http://{settings.host}:{settings.port}"
    console.print(
        f"[bold]Plaza node[/] on network [cyan]{genesis.network}[/] ({genesis.network_id:#010x})"
    )
    console.print(f"  data directory  {settings.data_dir.resolve()}")
    console.print(f"  API             {base}/api/v1/info")
    console.print(f"  API docs        {base}/docs")
    console.print(f"  live events     {base}/api/v1/events")
    coordinator_state = "on" if runtime.coordinator else "off"
    console.print(f"  coordinator     {coordinator_state}, every {settings.milestone_interval_s} s")
    try:
        uvicorn.run(
            create_app(runtime), host=settings.host, port=settings.port, log_level="warning"
        )
    finally:
        runtime.close()
