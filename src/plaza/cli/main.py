"""``plaza``: run a node, benchmark it, and (later) trade."""

from __future__ import annotations

import typer

from plaza import __version__
from plaza.cli.bench import bench_app
from plaza.cli.channel import channel_app
from plaza.cli.demo import demo
from plaza.cli.devnet import devnet_app
from plaza.cli.market import market_app
from plaza.cli.node import node_app
from plaza.cli.simulate import simulate_app
from plaza.cli.wallet import wallet_app

app = typer.Typer(
    name="plaza",
    help="Plaza: a marketplace where machines trade with machines, on a signed tangle ledger.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(node_app, name="node")
app.add_typer(bench_app, name="bench")
app.add_typer(channel_app, name="channel")
app.add_typer(devnet_app, name="devnet")
app.add_typer(wallet_app, name="wallet")
app.add_typer(market_app, name="market")
app.command()(demo)
app.add_typer(simulate_app, name="simulate")


@app.command()
def version() -> None:
    """Print Plaza's version."""
    typer.echo(__version__)


if __name__ == "__main__":
    app()
