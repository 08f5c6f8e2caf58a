"""``plaza energy``: the built-in energy vertical's commands (``plaza energy asset run``).

The commands run energy modules, so they need the composition root
(:mod:`plaza.bootstrap`), which a vertical, a lower layer, may not import; ``plaza``
mounts them under the vertical's name itself (:func:`plaza.cli.main.build_app`).
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from plaza.bootstrap.energy_device import DeviceConfigError, RunningAsset, load_device_config

__all__ = ["energy_app"]

energy_app = typer.Typer(
    help="The energy vertical: run its modules on their own machines.", no_args_is_help=True
)
asset_app = typer.Typer(help="One device's asset module.", no_args_is_help=True)
energy_app.add_typer(asset_app, name="asset")


def _until_stopped() -> None:
    """Block until SIGINT (Ctrl-C) or SIGTERM (a service manager stopping the device)."""
    stop = threading.Event()

    def stopped(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(1.0):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _banner(console: Console, asset: RunningAsset) -> None:
    """Where the device answers and who it is; never its UUID or a key's secret."""
    module = asset.service.module
    console.print(f"[bold]Plaza energy asset module[/] {asset.url}", soft_wrap=True)
    console.print(f"  data directory  {asset.config.data_dir.resolve()}", soft_wrap=True)
    console.print(f"  node            {asset.config.node_url}", soft_wrap=True)
    console.print(f"  public key      {module.public_key.to_text()}", soft_wrap=True)
    console.print(f"  wallet          {module.wallet_address}", soft_wrap=True)
    configured = module.config.asset_id if module.configured else "no: waiting for /init"
    console.print(f"  configured      {configured}", soft_wrap=True)


@asset_app.command("run")
def run(
    config: Annotated[Path, typer.Option("--config", "-c", help="The device's JSON config file.")],
) -> None:
    """Run one device's asset module from its config file until Ctrl-C or SIGTERM
    (the file's format: docs/energy.md, "Running an asset module")."""
    console = Console(stderr=True)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_device_config(config)
    except DeviceConfigError as error:
        console.print(f"[red]bad config:[/] {escape(str(error))}", soft_wrap=True)
        raise typer.Exit(2) from None
    try:
        asset = RunningAsset(settings)
    except DeviceConfigError as error:
        console.print(f"[red]cannot start:[/] {escape(str(error))}", soft_wrap=True)
        raise typer.Exit(1) from None
    try:
        asset.start()
        _banner(console, asset)
        _until_stopped()
    except DeviceConfigError as error:
        console.print(f"[red]bad config:[/] {escape(f'{config}: {error}')}", soft_wrap=True)
        raise typer.Exit(2) from None
    finally:
        asset.stop()
