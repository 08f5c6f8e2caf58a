"""``plaza sensor``: run a city sensor that sells its readings (issue 12).

``plaza sensor run`` keeps the sensor's keys, wallet, channel cursor and book in
``--data`` (0700; secrets 0600) and runs until interrupted (Ctrl-C or SIGTERM);
run it again with the same ``--data`` and it continues its channel where it
stopped and serves what was paid meanwhile. It sells through ``--market`` only
(every purchase an order and a contract there); without one it publishes and
refunds what it is paid. ``plaza sensor status`` prints what
the book says without touching the node.
"""

from __future__ import annotations

import logging
import shlex
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from plaza.streams.announcement import STREAMS_TAG
from plaza.streams.city import City, city_configs
from plaza.streams.commands.common import (
    CLOCK,
    NodeOption,
    TagOption,
    parse_duration,
    quiet_http_logs,
    remote,
    reported_connection,
)
from plaza.streams.errors import StreamError
from plaza.streams.readings import PROFILES, parse_data_types
from plaza.streams.sensor import SensorAgent, SensorConfig, SensorHome
from plaza.streams.sources import CommandSource, MqttSource, ReadingSource
from plaza.streams.terms import Terms

__all__ = ["sensor_app"]

log = logging.getLogger(__name__)
sensor_app = typer.Typer(help="Run a sensor that sells its data stream.", no_args_is_help=True)
DataOption = Annotated[
    Path, typer.Option("--data", help="The sensor's data directory (keys, wallet, cursor).")
]
MarketOption = Annotated[
    str | None,
    typer.Option(
        "--market",
        envvar="PLAZA_MARKET",
        help="Sell through this marketplace (without one the sensor sells nothing).",
    ),
]
CommandOption = Annotated[
    str | None, typer.Option("--command", help="Run this for each reading (JSON on stdout).")
]
MqttOption = Annotated[
    str | None, typer.Option("--mqtt", help="Take readings from host:port/topic.")
]
TypesOption = Annotated[
    str | None, typer.Option("--types", help="What the command or meter reports: name:unit,…")
]
OwnerOption = Annotated[
    str,
    typer.Option(
        "--owner",
        envvar="PLAZA_SENSOR_OWNER",
        help="The user id of the web account whose dashboard lists it (usr_…).",
    ),
]
#: The reading options: --command, --mqtt, --types.
_Reading = tuple[str | None, str | None, str | None]
DEFAULT_DATA = Path(".plaza/sensor")
DEFAULT_TAG = STREAMS_TAG.decode()


@sensor_app.command("run")
def run(
    name: Annotated[str, typer.Option(help="What the sensor is called.")],
    lat: Annotated[float, typer.Option(help="Latitude, decimal degrees.")],
    lon: Annotated[float, typer.Option(help="Longitude, decimal degrees.")],
    price: Annotated[int, typer.Option(help="Base units per period.")],
    period: Annotated[str, typer.Option(help="The period the price buys: 1h, 30m, 1d.")] = "1h",
    minimum: Annotated[str, typer.Option(help="The least a buyer may buy at once.")] = "10m",
    description: Annotated[str, typer.Option(help="What it measures, and where.")] = "",
    profile: Annotated[str, typer.Option(help=f"Simulated meter: {', '.join(PROFILES)}.")] = "air",
    seed: Annotated[int, typer.Option(help="The simulation's seed.")] = 0,
    interval: Annotated[float, typer.Option(help="Seconds between readings.")] = 20.0,
    poll: Annotated[float, typer.Option(help="Seconds between looks for payments.")] = 0.5,
    data: DataOption = DEFAULT_DATA,
    node: NodeOption = "http://127.0.0.1:8650",
    market: MarketOption = None,
    command: CommandOption = None,
    mqtt: MqttOption = None,
    types: TypesOption = None,
    tag: TagOption = DEFAULT_TAG,
    owner: OwnerOption = "",
) -> None:
    """Sell a sensor's readings (simulated, or from --command or --mqtt with --types)."""
    try:
        config = SensorConfig(
            name,
            lat,
            lon,
            Terms(price, parse_duration(period), parse_duration(minimum)),
            description=description,
            profile=profile,
            seed=seed,
            interval_s=interval,
            poll_s=poll,
            directory=tag.encode(),
            owner=owner,
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    _serve(config, data, node, market, (command, mqtt, types))


def _source(command: str | None, mqtt: str | None, types: str | None) -> ReadingSource | None:
    """The reading source the options name; None for the simulated profile."""
    if command is None and mqtt is None:
        return None
    if command is not None and mqtt is not None:
        raise typer.BadParameter("readings come from --command or --mqtt, not both")
    if types is None:
        raise typer.BadParameter("declare what it reports: --types pm25:µg/m³,no2:µg/m³")
    try:
        data_types = parse_data_types(types)
    except StreamError as error:
        raise typer.BadParameter(str(error), param_hint="--types") from None
    if command is not None:
        return CommandSource(shlex.split(command), data_types)
    address, _, topic = (mqtt or "").partition("/")
    host, _, port = address.rpartition(":")
    if not (host and port.isdigit() and topic):
        raise typer.BadParameter("--mqtt is host:port/topic", param_hint="--mqtt")
    with reported_connection(f"MQTT broker {address}"):
        return MqttSource(host, int(port), topic, data_types)


def _serve(
    config: SensorConfig, data: Path, node: str, market: str | None, reading: _Reading
) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    quiet_http_logs()
    if market is None:
        log.warning("no --market: the sensor publishes, but sells nothing and refunds payments")
    with remote(node) as gateway:
        home, source = SensorHome(data), _source(*reading)
        try:
            agent = SensorAgent.open(
                home, gateway, config, clock=CLOCK, market_url=market, source=source
            )
        except BaseException:
            if source is not None:
                source.close()
            raise
        try:
            _announce_self(agent)
            agent.run(_stop_on_signals())
        finally:
            agent.close()


def _announce_self(agent: SensorAgent) -> None:
    typer.echo(f"sensor   {agent.publisher.channel.id.hex()}")
    typer.echo(f"name     {agent.config.name}")
    typer.echo(f"pay to   {agent.desk.address}")
    typer.echo(f"position {agent.publisher.position}, epoch {agent.publisher.epoch}")


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handle(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    return stop


@sensor_app.command("city")
def city(
    count: Annotated[int, typer.Option(min=1, max=200, help="How many sensors.")] = 12,
    lat: Annotated[float, typer.Option(help="The city centre's latitude.")] = 45.0703,
    lon: Annotated[float, typer.Option(help="The city centre's longitude.")] = 7.6869,
    interval: Annotated[float, typer.Option(help="Seconds between readings.")] = 20.0,
    data: Annotated[Path, typer.Option("--data", help="One folder for all of them.")] = Path(
        ".plaza/city"
    ),
    node: NodeOption = "http://127.0.0.1:8650",
    market: MarketOption = None,
    tag: TagOption = DEFAULT_TAG,
    owner: OwnerOption = "",
) -> None:
    """Run a city of simulated sensors (air, noise, parking, traffic) around a centre."""
    try:
        configs = city_configs(
            count, lat, lon, interval_s=interval, directory=tag.encode(), owner=owner
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    quiet_http_logs()
    with remote(node) as gateway:
        running = City.start(data, gateway, configs, clock=CLOCK, market_url=market)
        try:
            for agent in running.agents:
                typer.echo(f"{agent.publisher.channel.id.hex()[:16]}  {agent.config.name}")
            _stop_on_signals().wait()
        finally:
            running.close()


@sensor_app.command("status")
def status(data: DataOption = DEFAULT_DATA) -> None:
    """Subscribers, their ends, payments handled and revenue, from the sensor's book."""
    if not (data / "sensor.sqlite3").exists():
        raise typer.BadParameter(f"{data} holds no sensor yet", param_hint="--data")
    book = SensorHome(data).book()
    try:
        now = CLOCK.now_ms()
        for sub in book.subscriptions():
            left = max(0, sub.ends_at_ms - now) // 1000
            typer.echo(f"subscriber {sub.reader.hex()[:16]}  {left} s left")
        for payment in book.payments():
            line = f"{payment.amount:>10}  {payment.state:<9}  {payment.detail}"
            typer.echo(f"payment {payment.message_id.hex()[:16]}  {line}")
        typer.echo(f"revenue {book.revenue()}")
    finally:
        book.close()
