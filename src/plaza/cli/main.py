"""``plaza``: run a node, benchmark it, trade, and the verticals' own commands.

:func:`build_app` assembles the command tree: Plaza's own groups, then each
registered vertical's Typer app as ``plaza <vertical>`` (see
:mod:`plaza.verticals`). ``app`` is that tree for the installation's verticals.

Each command's module is imported when that command runs (or ``--help`` lists it),
not when ``plaza`` starts: between them they import every layer of Plaza, which took
seconds before ``plaza wallet balance`` could print a line.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ClassVar

import typer
import typer.main
from typer.core import TyperGroup

from plaza import __version__

if TYPE_CHECKING:
    from typer._click import Command, Context  # the Click that Typer's groups extend

    from plaza.verticals import VerticalRegistry

__all__ = ["app", "build_app"]

#: Plaza's own commands: name, and the module attribute that is its Typer app.
COMMANDS = {
    "node": "plaza.cli.node:node_app",
    "bench": "plaza.cli.bench:bench_app",
    "channel": "plaza.cli.channel:channel_app",
    "devnet": "plaza.cli.devnet:devnet_app",
    "wallet": "plaza.cli.wallet:wallet_app",
    "market": "plaza.cli.market:market_app",
    "web": "plaza.cli.web:web_app",
    "stack": "plaza.cli.stack:stack_app",
    "demo": "plaza.cli.demo:demo_app",
    "simulate": "plaza.cli.simulate:simulate_app",
}


def version() -> None:
    """Print Plaza's version."""
    typer.echo(__version__)


def _own(target: str) -> Callable[[], typer.Typer]:
    module, _, name = target.partition(":")
    return lambda: getattr(importlib.import_module(module), name)


class _LazyCommands(TyperGroup):
    """``plaza``'s group: a command is built from its Typer app when it is asked for.

    ``loaders`` are Plaza's own commands; the verticals' (``verticals``, or the
    installation's :data:`~plaza.verticals.registry` when None) are read when a name
    is not one of them, or when ``--help`` lists them all.
    """

    loaders: ClassVar[dict[str, Callable[[], typer.Typer]]] = {}
    verticals: ClassVar[VerticalRegistry | None] = None

    def list_commands(self, ctx: Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.loaders, *self._verticals()})

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name in self.loaders:
            found: typer.Typer | None = self.loaders[cmd_name]()
        elif (eager := super().get_command(ctx, cmd_name)) is not None:
            return eager  # ``version``
        else:
            found = self._verticals().get(cmd_name)
        if found is None:
            return None
        # get_command would collapse a Typer of one command into it (``plaza node run``
        # into ``plaza node``): every app here is a group, but ``demo``'s one command
        if cmd_name == "demo":
            command: Command = typer.main.get_command(found)
        else:
            command = typer.main.get_group(found)
        command.name = cmd_name
        return command

    def _verticals(self) -> dict[str, typer.Typer]:
        from plaza.verticals import registry  # noqa: PLC0415 - imported when asked for

        verticals = registry if self.verticals is None else self.verticals
        mounted = dict(verticals.commands())
        _check_names(mounted)
        if "energy" not in mounted and verticals.get("energy") is not None:
            # the built-in vertical's commands need plaza.bootstrap, which a vertical cannot
            # import
            mounted["energy"] = _own("plaza.cli.energy:energy_app")()
        return mounted


def _check_names(names: Iterable[str]) -> None:
    """A vertical named like one of Plaza's own commands would hide it: refused."""
    for name in names:
        if name in COMMANDS or name == "version":
            from plaza.verticals import VerticalConflict  # noqa: PLC0415 - as above

            raise VerticalConflict(name, "a command of that name", "plaza itself")


def build_app(verticals: VerticalRegistry | None = None) -> typer.Typer:
    """``plaza`` with its own commands and those of ``verticals`` (None: the
    installation's, read when first needed).

    A vertical with commands named like one of Plaza's own is a
    :class:`~plaza.verticals.VerticalConflict`: it would hide the command (raised here
    for ``verticals`` given, when the commands are first listed or looked up otherwise).
    """
    if verticals is not None:
        _check_names(name for name, _ in verticals.commands())
    loaders = {name: _own(target) for name, target in COMMANDS.items()}

    class PlazaCommands(_LazyCommands):
        pass

    PlazaCommands.loaders, PlazaCommands.verticals = loaders, verticals
    app = typer.Typer(
        name="plaza",
        help="Plaza: a marketplace where machines trade with machines, on a signed tangle ledger.",
        no_args_is_help=True,
        add_completion=False,
        cls=PlazaCommands,
    )
    app.callback()(_plaza)  # a group, even before its lazy commands are known
    app.command()(version)
    return app


def _plaza() -> None:
    """The group's own step before any command: nothing."""


app = build_app()


if __name__ == "__main__":
    app()
