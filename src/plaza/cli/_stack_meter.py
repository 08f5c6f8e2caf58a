"""``plaza stack meter``: a simulated city meter publishing its readings to MQTT.

The stack's device on MQTT: it publishes a JSON object of values (``{"laeq": 57.2}``) to
a topic every interval, and a sensor agent started with ``plaza sensor run --mqtt
HOST:PORT/TOPIC --types …`` sells them as a stream, as it would a real meter's. The
values come from the same simulated profiles ``plaza sensor run --profile`` uses.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from typing import Annotated

import typer

from plaza.notify.errors import PublishFailed
from plaza.notify.mqtt import MqttPublisher
from plaza.streams.readings import PROFILES

__all__ = ["meter"]

log = logging.getLogger(__name__)


def _types(profile: str) -> str:
    return ",".join(f"{t.name}:{t.unit}" for t in PROFILES[profile](0).data_types)


def meter(
    mqtt: Annotated[str, typer.Option(help="The broker, HOST:PORT.")] = "localhost:1883",
    topic: Annotated[str, typer.Option(help="Where it publishes.")] = "plaza/meters/noise",
    profile: Annotated[str, typer.Option(help="air, noise, parking or traffic.")] = "noise",
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between readings.")] = 2.0,
    seed: Annotated[int, typer.Option(help="The simulation's seed.")] = 0,
) -> None:
    """Publish a simulated meter's readings to MQTT until Ctrl-C or SIGTERM."""
    if profile not in PROFILES:
        raise typer.BadParameter(f"one of {', '.join(PROFILES)}", param_hint="--profile")
    host, _, port = mqtt.rpartition(":")
    if not host or not port.isdigit():
        raise typer.BadParameter(f"{mqtt[:60]!r} is not HOST:PORT", param_hint="--mqtt")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    simulated = PROFILES[profile](seed)
    try:
        publisher = MqttPublisher(host, int(port))
    except (OSError, PublishFailed) as error:
        typer.echo(f"plaza stack meter: no broker at {mqtt}: {error}", err=True)
        raise typer.Exit(1) from None
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    typer.echo(f"meter {profile} publishing to {topic} at {mqtt} ({_types(profile)})")
    try:
        while not stop.wait(interval):
            values = simulated.reading(time.time_ns() // 1_000_000).values
            try:
                publisher.publish(topic, json.dumps(dict(values)).encode())
            except PublishFailed as error:  # paho reconnects by itself; the next one may pass
                log.warning("reading not published: %s", error)
    finally:
        publisher.close()
