"""``plaza devnet ...``: a local network of nodes on loopback."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from plaza.devnet import Devnet, DevnetError

devnet_app = typer.Typer(help="Run a local network of nodes on loopback.", no_args_is_help=True)

HomeOption = Annotated[Path, typer.Option(help="Where the devnet keeps its nodes' data.")]


@devnet_app.command("up")
def up(
    nodes: Annotated[int, typer.Option(min=1, max=16, help="How many nodes.")] = 3,
    home: HomeOption = Path(".plaza/devnet"),
    base_port: Annotated[int, typer.Option(help="Node i listens on base port + i.")] = 8650,
    milestone_interval: Annotated[float, typer.Option(min=0.05)] = 1.0,
    pow_difficulty: Annotated[int, typer.Option(min=0, max=32)] = 11,
) -> None:
    """Start the nodes (node 0 confirms and holds the faucet) and run until stopped."""
    console = Console()
    devnet = Devnet(
        home,
        nodes=nodes,
        base_port=base_port,
        milestone_interval_s=milestone_interval,
        pow_difficulty=pow_difficulty,
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        with console.status(f"starting {nodes} nodes…"):
            devnet.start()
    except DevnetError as error:
        Console(stderr=True).print(f"[red]plaza devnet up: {error}[/]")
        raise typer.Exit(1) from None
    table = Table(title=f"Plaza devnet ({home})")
    for column in ("node", "API", "role", "node id"):
        table.add_column(column)
    for node in devnet.nodes:
        role = "coordinator, faucet" if node.index == 0 else "validator"
        table.add_row(str(node.index), node.url, role, node.public_key.hex()[:16] + "…")
    console.print(table)
    console.print("Running until Ctrl-C or [bold]plaza devnet down[/].")
    stop.wait()
    with console.status("stopping…"):
        devnet.stop()
    console.print("devnet stopped")


@devnet_app.command("down")
def down(home: HomeOption = Path(".plaza/devnet")) -> None:
    """Stop a devnet started with ``plaza devnet up`` in another terminal."""
    stopped = Devnet.stop_recorded(home)
    typer.echo(f"stopped {stopped} nodes" if stopped else f"no devnet running under {home}")
