"""Simulated devices feeding asset endpoints over real HTTP, and through a real MQTT broker.

The asset side is a tiny FastAPI app on a real server (``ThreadedServer``)
that keeps the seed's ``/produce`` and ``/consume`` contract: it accepts a
reading only with the device's UUID and records what it accepted. The MQTT
tests use the machine's Mosquitto (``localhost:1883``): skipped when it does
not answer, a failure in CI (``CI=true``).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt_client
import pytest
from fastapi import APIRouter, FastAPI
from notify_support import free_port, mqtt_broker_or_skip
from paho.mqtt.enums import CallbackAPIVersion

from plaza.agents.energy.devices import (
    DeviceSimulator,
    MeterBridge,
    MeterPublisher,
    SimulatedDevice,
    parse_reading,
)
from plaza.agents.energy.profiles import SLOT_MS, ElectricVehicle, HeatPump, SolarPanel
from plaza.api.energy.link import HttpLink
from plaza.api.energy.replies import install_replies, json_object, post_route
from plaza.api.serving import ThreadedServer
from plaza.energy.errors import EnergyForbidden, PeerFailed
from plaza.notify.mqtt import MqttPublisher

NOON = 20_458 * 86_400_000 + 12 * 3_600_000  # Monday 2026-01-05, 12:00 UTC


@dataclass
class Asset:
    """The endpoints' state: the UUIDs they accept, and every reading they accepted."""

    uuids: set[str]
    accepted: list[tuple[str, int, str]] = field(default_factory=list)  # (path, Wh, uuid)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reading(self, path: str) -> Callable[[bytes], None]:
        def handle(body: bytes) -> None:
            data = json_object(body)
            if data.get("uuid") not in self.uuids:
                raise EnergyForbidden("wrong device UUID")
            with self.lock:
                self.accepted.append((path, data["energy"], data["uuid"]))

        return handle

    def wait_for(self, count: int, timeout_s: float = 10) -> list[tuple[str, int, str]]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.accepted) >= count:
                    return list(self.accepted)
            time.sleep(0.02)
        return list(self.accepted)


@pytest.fixture
def asset() -> Iterator[tuple[Asset, str]]:
    state = Asset({"uuid-solar", "uuid-ev", "uuid-pump"})
    app = FastAPI()
    install_replies(app)
    router = APIRouter()
    for path in ("/produce", "/consume"):
        post_route(router, path, state.reading(path), summary=path, sealed=False)
    app.include_router(router)
    with ThreadedServer(app) as server:
        yield state, server.url


@pytest.fixture
def link() -> Iterator[HttpLink]:
    http = HttpLink(timeout_s=5)
    yield http
    http.close()


def household(url: str) -> list[SimulatedDevice]:
    return [
        SimulatedDevice("solar", url, "uuid-solar", SolarPanel(1, peak_w=6000)),
        SimulatedDevice("ev", url, "uuid-ev", ElectricVehicle(2, daily_wh=12_000)),
        SimulatedDevice("pump", url, "uuid-pump", HeatPump(3, rated_w=3000)),
    ]


def test_each_device_posts_its_energy_to_its_asset(
    asset: tuple[Asset, str], link: HttpLink
) -> None:
    state, url = asset
    devices = household(url)
    solar, ev, pump = (device.profile.energy_wh(NOON, SLOT_MS) for device in devices)
    assert solar > 0
    assert pump > 0
    assert ev == 0, "the car is away at noon"

    report = DeviceSimulator(devices, link).step(NOON, SLOT_MS)

    assert (report.sent, report.failed) == (2, 0)
    assert (report.produced_wh, report.consumed_wh) == (solar, pump)
    assert sorted(state.accepted) == sorted(
        [
            ("/produce", solar, "uuid-solar"),
            ("/consume", pump, "uuid-pump"),
        ]
    )


def test_refusals_and_dead_assets_are_counted_not_fatal(
    asset: tuple[Asset, str], link: HttpLink
) -> None:
    state, url = asset
    nowhere = f"http://127.0.0.1:{free_port()}"
    devices = [
        SimulatedDevice("thief", url, "not-the-uuid", SolarPanel(4, peak_w=5000)),
        SimulatedDevice("lost", nowhere, "uuid-solar", SolarPanel(5, peak_w=5000)),
        *household(url),
    ]
    simulator = DeviceSimulator(devices, link)

    report = simulator.step(NOON, SLOT_MS)

    assert (report.sent, report.failed) == (2, 2)
    assert [path for path, _, _ in state.accepted].count("/produce") == 1
    assert simulator.statistics()["failed"] == 2
    assert "not-the-uuid" not in repr(devices[0])


def test_advance_steps_every_whole_interval_once(asset: tuple[Asset, str], link: HttpLink) -> None:
    state, url = asset
    devices = household(url)[:1]
    simulator = DeviceSimulator(devices, link, start_ms=NOON)

    assert simulator.advance(NOON + SLOT_MS - 1).sent == 0
    first = simulator.advance(NOON + 2 * SLOT_MS + 60_000)
    assert simulator.advance(NOON + 2 * SLOT_MS + 120_000).sent == 0

    expected = devices[0].profile.energy_wh(NOON, 2 * SLOT_MS)
    assert first.sent == 2
    assert first.produced_wh == expected == sum(energy for _, energy, _ in state.accepted)
    assert simulator.statistics()["produced_wh"] == expected


def test_devices_need_distinct_topic_safe_names(link: HttpLink) -> None:
    panel = SolarPanel(1, peak_w=1000)
    with pytest.raises(ValueError, match="name of its own"):
        DeviceSimulator([SimulatedDevice("a", "http://a", "x", panel)] * 2, link)
    with pytest.raises(ValueError, match="one MQTT topic level"):
        DeviceSimulator([SimulatedDevice("a/b", "http://a", "x", panel)], link)
    with pytest.raises(ValueError, match="asset URL must be"):
        SimulatedDevice("a", "ftp://a", "x", panel)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not json", "JSON object"),
        (b"[1]", "JSON object"),
        (b'{"energy": 1.5, "timestamp": 1}', "energy must be an integer"),
        (b'{"energy": 0, "timestamp": 1}', "energy must be an integer from 1"),
        (b'{"energy": true, "timestamp": 1}', "energy must be an integer"),
        (b'{"energy": 10}', "timestamp must be an integer"),
    ],
)
def test_malformed_readings_are_refused(payload: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_reading(payload)
    assert parse_reading(b'{"energy": 310, "timestamp": 5}') == (310, 5)


@pytest.fixture
def broker() -> tuple[str, int]:
    return mqtt_broker_or_skip()


def test_meter_readings_reach_the_asset_through_the_broker(
    broker: tuple[str, int], asset: tuple[Asset, str], link: HttpLink
) -> None:
    host, port = broker
    state, url = asset
    root = f"plaza-test-{uuid.uuid4().hex[:12]}/meters"
    devices = household(url)
    solar, pump = (
        devices[0].profile.energy_wh(NOON, SLOT_MS),
        devices[2].profile.energy_wh(NOON, SLOT_MS),
    )
    bridge = MeterBridge(devices, link, host=host, port=port, root=root)
    mqtt = MqttPublisher(host, port)
    try:
        report = MeterPublisher(devices, mqtt, root=root).step(NOON, SLOT_MS)
        assert (report.sent, report.failed) == (2, 0)
        accepted = state.wait_for(2)
        # A duplicate (QoS 1 may redeliver), an unknown meter and a broken reading: dropped.
        mqtt.publish(f"{root}/solar", b'{"energy": 999, "timestamp": %d}' % NOON)
        mqtt.publish(f"{root}/stranger", b'{"energy": 5, "timestamp": 1}')
        mqtt.publish(f"{root}/pump", b'{"energy": -5, "timestamp": 9999999999999}')
        later = NOON + SLOT_MS
        mqtt.publish(f"{root}/pump", b'{"energy": 7, "timestamp": %d}' % later)
        accepted = state.wait_for(3)
        deadline = time.monotonic() + 10
        while bridge.statistics()["received"] < 6 and time.monotonic() < deadline:
            time.sleep(0.02)
        counts = bridge.statistics()
    finally:
        mqtt.close()
        bridge.close()
    assert sorted(accepted) == sorted(
        [
            ("/produce", solar, "uuid-solar"),
            ("/consume", pump, "uuid-pump"),
            ("/consume", 7, "uuid-pump"),
        ]
    )
    assert counts == {
        "received": 6,
        "forwarded": 3,
        "failed": 0,
        "unknown": 1,
        "invalid": 1,
        "duplicates": 1,
    }


def test_no_uuid_travels_on_the_broker(broker: tuple[str, int], asset: tuple[Asset, str]) -> None:
    """What a stranger subscribed to every meter sees: names and energy, no device UUID."""
    host, port = broker
    _, url = asset
    root = f"plaza-test-{uuid.uuid4().hex[:12]}/meters"
    seen: list[bytes] = []
    subscribed = threading.Event()
    spy = mqtt_client.Client(CallbackAPIVersion.VERSION2, client_id=uuid.uuid4().hex)
    spy.on_connect = lambda client, *_: client.subscribe(f"{root}/#", qos=1)
    spy.on_subscribe = lambda *_: subscribed.set()
    spy.on_message = lambda _c, _u, message: seen.append(message.topic.encode() + message.payload)
    spy.connect(host, port)
    spy.loop_start()
    mqtt = MqttPublisher(host, port)
    try:
        assert subscribed.wait(10)
        MeterPublisher(household(url), mqtt, root=root).step(NOON, SLOT_MS)
        deadline = time.monotonic() + 10
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        mqtt.close()
        spy.disconnect()
        spy.loop_stop()
    assert sorted(message.split(b"{")[0] for message in seen) == [
        f"{root}/pump".encode(),
        f"{root}/solar".encode(),
    ]
    assert not any(b"uuid-" in message for message in seen)


def test_no_broker_is_refused_at_once(link: HttpLink) -> None:
    with pytest.raises(PeerFailed, match="cannot connect"):
        MeterBridge([], link, host="127.0.0.1", port=free_port(), timeout_s=3)
