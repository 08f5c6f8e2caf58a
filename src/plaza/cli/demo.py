"""``plaza demo``: the energy marketplace, all of it, in this process (see
:mod:`plaza.bootstrap.energy_demo`), with live progress and a summary at the end."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from plaza.bootstrap.demo import Demo, ServicesSettings, StreamsSettings, TelcoSettings
from plaza.bootstrap.energy_demo import DemoSettings
from plaza.energy.kind import ENERGY
from plaza.sqlite import private_folder
from plaza.verticals import registry

__all__ = ["demo", "demo_app"]

_COLUMNS = (
    "offers",
    "requests",
    "contracts",
    "contracts_paid",
    "reminders",
    "claims",
    "cancellations",
    "ledger_messages",
)
_AUDIT = ("audited", "audits_ok")


def _energy(wh: int) -> str:
    return registry.units()[ENERGY.kind].show_quantity(wh)


#: The trade's figures as a person reads them, in their units.
_TRADE: dict[str, Callable[[Any], str]] = {
    "energy_contracted_wh": _energy,
    "value_contracted_coins": lambda coins: f"{coins:,} coins",
    "mean_price_coins_per_kwh": lambda p: "none yet" if p is None else f"{p} coins per kWh",
}


def _count(n: int) -> str:
    return f"{n:,}"


def _coins(n: int) -> str:
    return f"{n:,} coins"


#: The other verticals' figures under each one's heading: key, label, shown in its unit.
_VERTICALS: dict[str, tuple[tuple[str, str, Callable[[int], str]], ...]] = {
    "city sensors (streams)": (
        ("streams_sensors", "sensors", _count),
        ("streams_readings", "readings published", _count),
        ("streams_bought", "streams bought", _count),
        ("streams_readings_read", "readings read (this run)", _count),
        ("streams_revenue_coins", "sensors' revenue", _coins),
    ),
    "services (pay per call)": (
        ("services_providers", "providers", _count),
        ("services_calls_paid", "calls paid", _count),
        ("services_calls_refunded", "calls refunded", _count),
        ("services_calls_timed_out", "calls timed out", _count),
        ("services_coins_paid", "paid to providers", _coins),
    ),
    "telco assets": (
        ("telco_assets", "assets", _count),
        ("telco_orders", "orders", _count),
        ("telco_orders_completed", "orders completed", _count),
        ("telco_access_active", "access granted now", _count),
        ("telco_coins_paid", "paid to operators", _coins),
    ),
}


def _table(figures: dict[str, Any], elapsed_s: float) -> Table:
    table = Table(caption=f"this run: {elapsed_s:.0f} s; totals of the data directory")
    table.add_column("energy market")
    table.add_column("total", justify="right")
    for column in (*_COLUMNS, *_AUDIT):
        if column in figures:
            table.add_row(column.replace("_", " "), f"{figures[column]:,}")
    for column, show in _TRADE.items():
        if column in figures:
            label = column.split("_")[:2]
            table.add_row(" ".join(label), show(figures[column]))
    for heading, shown in _VERTICALS.items():
        rows = [(label, show(figures[key])) for key, label, show in shown if key in figures]
        if rows:
            table.add_section()
            table.add_row(f"[bold]{heading}[/]", "")
        for row in rows:
            table.add_row(*row)
    return table


def _log_to(path: Path) -> None:
    """The modules' log lines go to a file: the terminal is the live table's."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request drowns the rest


def _banner(console: Console, running: Demo) -> None:
    """The web address first: it is what a person opens; then where each API is."""
    demo = running.energy
    urls = demo.urls()
    console.print(f"[bold]Plaza[/] {urls['web']}  (marketplace, explorer, docs)", soft_wrap=True)
    for login in demo.logins:
        password = login.password or "(printed at its first run)"
        line = f"  {'log in as ' + login.who:<18} {login.email}  password {password}"
        console.print(line, soft_wrap=True, highlight=False, markup=False)
    console.print(f"  data directory {demo.root.resolve()}", soft_wrap=True)
    console.print(f"  {'node API':<18} {urls['node']}/api/v1/info")
    for name in ("node", "marketplace", "bid manager", "user module"):
        console.print(f"  {name + ' docs':<18} {urls[name]}/docs")
    for name, hosted in demo.stack.assets.items():
        console.print(f"  {name:<18} {hosted.url}/status")
    for name, url in running.urls().items():
        console.print(f"  {name:<18} {url}", soft_wrap=True)
    console.print(f"  {'log':<18} {demo.root.resolve() / 'demo.log'}")
    console.print("  Ctrl-C stops it; a second run reuses the data directory.\n")


def _wait(demo: Demo, console: Console, duration: float | None, quiet: bool) -> float:
    """Until ``duration`` has passed or Ctrl-C; the seconds it ran."""
    stop = threading.Event()

    def interrupted(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGINT, interrupted)
    began = time.monotonic()
    try:
        if quiet:
            stop.wait(duration)
        else:
            with Live(console=console, refresh_per_second=2, transient=True) as live:
                while not stop.wait(0.5):
                    elapsed = time.monotonic() - began
                    live.update(_table(demo.summary(), elapsed))
                    if duration is not None and elapsed >= duration:
                        break
    finally:
        signal.signal(signal.SIGINT, previous)
    return time.monotonic() - began


def demo(
    data_dir: Annotated[Path, typer.Option(help="Where everything is kept; reused.")] = Path(
        ".plaza/demo"
    ),
    duration: Annotated[
        float | None, typer.Option(min=1, help="Stop after this many seconds.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    port: Annotated[int, typer.Option(min=0, max=65535, help="Node API port (0: any).")] = 8650,
    web_port: Annotated[int, typer.Option(min=0, max=65535, help="Web app port (0: any).")] = 8000,
    tick: Annotated[float, typer.Option(min=0.05, help="Seconds per simulated 15 minutes.")] = 1.0,
    streams: Annotated[bool, typer.Option(help="Run the city sensors and a buyer.")] = True,
    services: Annotated[bool, typer.Option(help="Run three services and a customer.")] = True,
    telco: Annotated[
        bool, typer.Option(help="Run two operators, a festival's coverage, an orchestrator.")
    ] = True,
    sensor_interval: Annotated[
        float, typer.Option(min=0.5, help="Seconds between a city sensor's readings.")
    ] = StreamsSettings().interval_s,
) -> None:
    """Run a node, every vertical on it (energy: the marketplace, bid manager, user module
    and simulated devices; a dozen city sensors and a stream buyer; three pay-per-call
    services and a customer; two telco operators, a festival's coverage requests and the
    orchestrator) and the web app. The first line printed is the web app's address (on
    stderr with ``--json``, whose summary on stdout also has it, as ``web``)."""
    console = Console(stderr=as_json)
    settings = DemoSettings(data_dir=data_dir, node_port=port, web_port=web_port, tick_s=tick)
    private_folder(data_dir)  # made 0700: it holds the modules' keys and letters
    _log_to(data_dir / "demo.log")
    running = _open(
        console,
        settings,
        streams=StreamsSettings(interval_s=sensor_interval) if streams else None,
        services=ServicesSettings() if services else None,
        telco=TelcoSettings() if telco else None,
    )
    summary = _run(running, console, duration, quiet=as_json)
    _print(console, summary, as_json=as_json)


#: ``plaza demo``, as the one command of its app (``plaza`` mounts it when it is run).
demo_app = typer.Typer(add_completion=False)
demo_app.command()(demo)


def _run(running: Demo, console: Console, duration: float | None, *, quiet: bool) -> dict[str, Any]:
    """Start the demo, show it until ``duration`` has passed or Ctrl-C, and stop it however
    that ends; its summary, taken before it stops, while the figures can still be read."""
    try:
        running.start()
        _banner(console, running)
        elapsed = _wait(running, console, duration, quiet=quiet)
        return _summary(running, elapsed)
    finally:
        running.stop()


def _print(console: Console, summary: dict[str, Any], *, as_json: bool) -> None:
    """The summary on stdout as one JSON line, or as the table."""
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        console.print(_table(summary, summary["elapsed_s"]))


def _open(
    console: Console,
    settings: DemoSettings,
    *,
    streams: StreamsSettings | None,
    services: ServicesSettings | None,
    telco: TelcoSettings | None,
) -> Demo:
    """The demo, its ports bound; a port taken is one clear line and exit 1."""
    try:
        return Demo(settings, streams=streams, services=services, telco=telco)
    except OSError as error:
        ports = f"port {settings.node_port} or {settings.web_port}"
        console.print(
            f"[red]cannot start: {error}[/] (is another demo, node or web app on {ports}?)"
        )
        raise typer.Exit(1) from None


def _summary(running: Demo, elapsed: float) -> dict[str, Any]:
    """The figures at the end: the live ones, the trade's and the audit of the last paid
    contracts (which stops the devices first)."""
    audits = running.energy.audit_paid()
    return {
        "web": running.energy.web_url,
        **running.summary(),
        **running.energy.trade(),
        **audits,
        "elapsed_s": round(elapsed, 1),
    }
