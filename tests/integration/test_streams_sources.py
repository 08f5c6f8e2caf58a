"""A sensor whose readings come from a real meter over MQTT (the machine's Mosquitto) or
from a command, published to its channel on a real node and read back by its owner."""

from __future__ import annotations

import json
import secrets
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from node_server import RunningNode
from notify_support import mqtt_broker_or_skip
from paho.mqtt.enums import CallbackAPIVersion

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.channels import Reader
from plaza.clock import SystemClock
from plaza.streams import DataType, Reading, Terms
from plaza.streams.sensor import SensorAgent, SensorConfig, SensorHome
from plaza.streams.sources import CommandSource, MqttSource, ReadingSource

CLOCK = SystemClock()
TYPES = (DataType("kwh", "kWh"), DataType("watts", "W"))


@pytest.fixture
def gateway(node: RunningNode) -> Iterator[RemoteLedger]:
    with node.client() as client:
        yield RemoteLedger(client, clock=CLOCK)


def _agent(gateway: RemoteLedger, folder: Path, source: ReadingSource) -> SensorAgent:
    config = SensorConfig(
        "meter-7", 45.06, 7.66, Terms(10, 1_000, 1_000), directory=secrets.token_hex(4).encode()
    )
    return SensorAgent.open(SensorHome(folder), gateway, config, clock=CLOCK, source=source)


def _published(agent: SensorAgent, gateway: RemoteLedger) -> list[Reading]:
    reader = Reader(gateway, agent.publisher.reader_key())
    return [Reading.decode(entry.content) for entry in reader.read()]


def test_a_meter_over_mqtt_is_what_the_sensor_publishes(
    gateway: RemoteLedger, tmp_path: Path
) -> None:
    host, port = mqtt_broker_or_skip()
    topic = f"plaza-test/meters/{secrets.token_hex(4)}"
    agent = _agent(gateway, tmp_path / "sensor", MqttSource(host, port, topic, TYPES))
    meter = mqtt.Client(CallbackAPIVersion.VERSION2)
    meter.connect(host, port)
    meter.loop_start()
    try:
        assert agent.announcement().data_types == TYPES
        assert agent.publish_reading() is None  # nothing from the meter yet: nothing published
        meter.publish(topic, json.dumps({"kwh": 12.5, "watts": 430}), qos=1).wait_for_publish()
        published = None
        deadline = time.monotonic() + 10
        while published is None and time.monotonic() < deadline:
            published = agent.publish_reading()
            time.sleep(0.05)
        assert published is not None
        meter.publish(topic, b"not a reading", qos=1).wait_for_publish()
        time.sleep(0.3)
        assert agent.publish_reading() is None  # refused, and the last one was taken already
        [reading] = _published(agent, gateway)
        assert dict(reading.values) == {"kwh": 12.5, "watts": 430.0}
    finally:
        meter.loop_stop()
        meter.disconnect()
        agent.close()


def test_a_command_is_run_for_each_reading(gateway: RemoteLedger, tmp_path: Path) -> None:
    script = 'import random; print(\'{"kwh": 3, "watts": %d}\' % random.randint(1, 9))'
    agent = _agent(
        gateway, tmp_path / "sensor", CommandSource([sys.executable, "-c", script], TYPES)
    )
    try:
        for _ in range(3):
            assert agent.publish_reading() is not None
        readings = _published(agent, gateway)
        assert [set(r.values) for r in readings] == [{"kwh", "watts"}] * 3
        assert all(1 <= r.values["watts"] <= 9 for r in readings)
    finally:
        agent.close()
