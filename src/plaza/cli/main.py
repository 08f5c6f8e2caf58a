"""``plaza``: run a node, benchmark it, trade, and the verticals' own commands.

:func:`build_app` assembles the command tree: Plaza's own groups, then each
registered vertical's Typer app as ``plaza <vertical>`` (see
:mod:`plaza.verticals`). ``app`` is that tree for the installation's verticals.
"""

from __future__ import annotations

import typer

from plaza import __version__
from plaza.cli.bench import bench_app
from plaza.cli.channel import channel_app
from plaza.cli.demo import demo
from plaza.cli.devnet import devnet_app
from plaza.cli.energy import energy_app
from plaza.cli.market import market_app
from plaza.cli.node import node_app
from plaza.cli.simulate import simulate_app
from plaza.cli.stack import stack_app
from plaza.cli.wallet import wallet_app
from plaza.cli.web import web_app
from plaza.verticals import VerticalConflict, VerticalRegistry, registry

__all__ = ["app", "build_app"]


def version() -> None:
    """Print Plaza's version."""
    typer.echo(__version__)


def build_app(verticals: VerticalRegistry = registry) -> typer.Typer:
    """``plaza`` with its own commands and those of ``verticals``.

    A vertical named like one of Plaza's own commands is a
    :class:`~plaza.verticals.VerticalConflict`: it would hide the command.
    """
    app = typer.Typer(
        name="plaza",
        help="Plaza: a marketplace where machines trade with machines, on a signed tangle ledger.",
        no_args_is_help=True,
        add_completion=False,
    )
    groups = [node_app, bench_app, channel_app, devnet_app, wallet_app, market_app]
    groups += [web_app, stack_app]
    names = ["node", "bench", "channel", "devnet", "wallet", "market", "web", "stack"]
    for name, group in zip(names, groups, strict=True):
        app.add_typer(group, name=name)
    app.command()(demo)
    app.add_typer(simulate_app, name="simulate")
    app.command()(version)
    taken = {*names, "demo", "simulate", "version"}
    mounted = dict(verticals.commands())
    for name, commands in mounted.items():
        if name in taken:
            raise VerticalConflict(name, "a command of that name", "plaza itself")
        app.add_typer(commands, name=name)
    if verticals.get("energy") is not None and "energy" not in mounted:
        # the built-in vertical's commands need plaza.bootstrap, which a vertical cannot import
        app.add_typer(energy_app, name="energy")
    return app


app = build_app()


if __name__ == "__main__":
    app()
