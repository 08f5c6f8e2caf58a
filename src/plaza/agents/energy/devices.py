"""Simulated devices that report their energy to their asset modules, as meters would.

The seed's devices tell their asset module what they produced (``/produce``)
or consumed (``/consume``): plain JSON ``{"energy": <Wh>, "uuid": <device
UUID>}``, accepted only with the device's UUID. Two ways to drive that here:

* :class:`DeviceSimulator` posts each device's energy of an interval, from its
  :mod:`~plaza.agents.energy.profiles` profile, straight to its asset module;
* :class:`MeterPublisher` publishes the same readings to MQTT, one topic per
  meter (``plaza/meters/<meter name>``), and :class:`MeterBridge`, beside the
  asset modules, subscribes and forwards each reading to the right asset.

The MQTT topic names the meter by its public **name**, never by its UUID: the
UUID is the secret that lets a caller feed energy into an asset, and anyone who
may subscribe to the broker would read it off the topic. Only the bridge, like
the simulator, holds the UUIDs. A reading is ``{"energy": <Wh>, "timestamp":
<start of its interval, ms>}``; QoS 1 may deliver one twice, so the bridge
forwards a meter's readings only in increasing ``timestamp`` order.

Failures are counted, never fatal: one asset module being down must not stop
the others' meters. Every method blocks.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from plaza.agents.energy.profiles import SLOT_MS, Profile
from plaza.energy.errors import PeerFailed
from plaza.energy.model import MAX_ENERGY_WH, AssetType
from plaza.market.auth.outbox import Link, post_json
from plaza.notify.errors import PublishFailed
from plaza.notify.ports import MqttConnection

__all__ = [
    "METER_ROOT",
    "DeviceSimulator",
    "MeterBridge",
    "MeterPublisher",
    "SimulatedDevice",
    "StepReport",
    "parse_reading",
]

log = logging.getLogger(__name__)

#: The topic root of meter readings: ``plaza/meters/<meter name>``.
METER_ROOT = "plaza/meters"


@dataclass(frozen=True, slots=True)
class SimulatedDevice:
    """A device feeding the asset module at ``url``; ``name`` is its meter's public name."""

    name: str
    url: str
    uuid: str = field(repr=False)  # the asset's secret: never logged, never on a topic
    profile: Profile

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"device {self.name}: the asset URL must be http(s)://...")

    @property
    def path(self) -> str:
        """Where its energy goes: producers report ``/produce``, consumers ``/consume``."""
        return "/produce" if self.profile.type is AssetType.PROVIDER else "/consume"


@dataclass(frozen=True, slots=True)
class StepReport:
    """One interval: readings delivered and failed, and the energy delivered."""

    sent: int = 0
    failed: int = 0
    produced_wh: int = 0
    consumed_wh: int = 0

    def __add__(self, other: StepReport) -> StepReport:
        return StepReport(
            self.sent + other.sent,
            self.failed + other.failed,
            self.produced_wh + other.produced_wh,
            self.consumed_wh + other.consumed_wh,
        )


def _readings(
    devices: Sequence[SimulatedDevice], start_ms: int, interval_ms: int
) -> Iterator[tuple[SimulatedDevice, int]]:
    """Each device's energy in the interval, leaving out the devices with none."""
    for device in devices:
        energy = device.profile.energy_wh(start_ms, interval_ms)
        if energy > 0:
            yield device, energy


def _delivered(device: SimulatedDevice, energy: int) -> StepReport:
    producer = device.path == "/produce"
    return StepReport(1, 0, energy if producer else 0, 0 if producer else energy)


def _check_names(devices: Sequence[SimulatedDevice]) -> dict[str, SimulatedDevice]:
    by_name = {device.name: device for device in devices}
    if len(by_name) != len(devices):
        raise ValueError("every simulated device needs a name of its own")
    if any(not name or "/" in name or "+" in name or "#" in name for name in by_name):
        raise ValueError("a device name is one MQTT topic level: not empty, no / + or #")
    return by_name


class _Stepper(ABC):
    """What the simulator and the publisher share: the devices, the totals, catching up."""

    def __init__(self, devices: Sequence[SimulatedDevice], start_ms: int | None) -> None:
        self.devices = list(devices)
        _check_names(self.devices)
        self._next_ms = start_ms
        self._total = StepReport()
        self._lock = threading.Lock()

    def step(self, start_ms: int, interval_ms: int) -> StepReport:
        report = StepReport()
        for device, energy in _readings(self.devices, start_ms, interval_ms):
            report += self._send(device, energy, start_ms)
        with self._lock:
            self._total += report
        return report

    def advance(self, now_ms: int, *, interval_ms: int = SLOT_MS) -> StepReport:
        """Step every whole interval that ended by ``now_ms`` since the last one stepped.

        The first call only sets the starting point (``now_ms`` rounded down to
        an interval) unless the constructor was given one; a runner can call
        this on every cycle, whatever its period.
        """
        if self._next_ms is None:
            self._next_ms = now_ms - now_ms % interval_ms
        report = StepReport()
        while self._next_ms + interval_ms <= now_ms:
            report += self.step(self._next_ms, interval_ms)
            self._next_ms += interval_ms
        return report

    def statistics(self) -> dict[str, int]:
        with self._lock:
            total = self._total
        return {
            "devices": len(self.devices),
            "sent": total.sent,
            "failed": total.failed,
            "produced_wh": total.produced_wh,
            "consumed_wh": total.consumed_wh,
        }

    @abstractmethod
    def _send(self, device: SimulatedDevice, energy: int, start_ms: int) -> StepReport:
        """Deliver one reading; a failure is reported, not raised."""


class DeviceSimulator(_Stepper):
    """Posts each device's energy of an interval to its asset module over ``link``."""

    def __init__(
        self, devices: Sequence[SimulatedDevice], link: Link, *, start_ms: int | None = None
    ) -> None:
        super().__init__(devices, start_ms)
        self._link = link

    def _send(self, device: SimulatedDevice, energy: int, start_ms: int) -> StepReport:
        try:
            post_json(self._link, device.url, device.path, {"energy": energy, "uuid": device.uuid})
        except PeerFailed as error:
            log.warning(
                "device %s: %s%s failed: %s", device.name, device.url, device.path, error.reason
            )
            return StepReport(failed=1)
        return _delivered(device, energy)


class MeterPublisher(_Stepper):
    """Publishes each device's reading of an interval to ``<root>/<device name>``."""

    def __init__(
        self,
        devices: Sequence[SimulatedDevice],
        publisher: MqttConnection,
        *,
        root: str = METER_ROOT,
        start_ms: int | None = None,
    ) -> None:
        super().__init__(devices, start_ms)
        self._publisher = publisher
        self._root = root

    def _send(self, device: SimulatedDevice, energy: int, start_ms: int) -> StepReport:
        reading = json.dumps({"energy": energy, "timestamp": start_ms}).encode()
        try:
            self._publisher.publish(f"{self._root}/{device.name}", reading)
        except PublishFailed as error:
            log.warning("meter %s: reading not published: %s", device.name, error)
            return StepReport(failed=1)
        return _delivered(device, energy)


def parse_reading(payload: bytes) -> tuple[int, int]:
    """``(energy Wh, timestamp ms)`` of a meter reading; ValueError says what is wrong."""
    try:
        reading = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("a reading is a JSON object") from None
    if not isinstance(reading, dict):
        raise ValueError("a reading is a JSON object")
    return _whole(reading, "energy", 1, MAX_ENERGY_WH), _whole(reading, "timestamp", 0, 2**63 - 1)


def _whole(reading: dict[str, Any], name: str, low: int, high: int) -> int:
    value = reading.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}")
    return value


class MeterBridge:
    """Subscribes to every meter under ``root`` and forwards each reading to its asset module.

    The constructor connects and waits until the subscription is acknowledged;
    paho then reconnects and (in ``on_connect``) subscribes again by itself.
    Readings are forwarded on paho's network thread, one at a time, before the
    broker gets its acknowledgement. A reading from a meter the bridge does not
    know, a malformed one, or one not newer than the meter's last is counted
    and dropped.
    """

    def __init__(
        self,
        devices: Sequence[SimulatedDevice],
        link: Link,
        *,
        host: str = "localhost",
        port: int = 1883,
        root: str = METER_ROOT,
        client_id: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self._devices = _check_names(list(devices))
        self._link = link
        self._root = root
        self._latest: dict[str, int] = {}
        self._counts = dict.fromkeys(
            ("received", "forwarded", "failed", "unknown", "invalid", "duplicates"), 0
        )
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"plaza-meters-{uuid.uuid4().hex[:12]}",
            protocol=mqtt.MQTTv311,
        )
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._connect(host, port, timeout_s)

    def _connect(self, host: str, port: int, timeout_s: float) -> None:
        broker = f"mqtt://{host}:{port}"
        try:
            self._client.connect(host, port, keepalive=30)
        except OSError as error:
            raise PeerFailed(broker, "", f"cannot connect: {error}", refused=False) from None
        self._client.loop_start()
        if not self._subscribed.wait(timeout_s):
            self.close()
            raise PeerFailed(broker, "", f"not subscribed within {timeout_s} s", refused=False)

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        if not reason.is_failure:
            client.subscribe(f"{self._root}/+", qos=1)

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, props: Any
    ) -> None:
        self._subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            self.forward(message.topic, bytes(message.payload))
        except Exception:
            # An error raised here would stop paho's network thread, and every meter with it.
            log.exception("meter reading on %s not forwarded", message.topic)

    def forward(self, topic: str, payload: bytes) -> str:
        """Forward one reading and count what became of it: ``forwarded``, ``failed``,
        ``unknown``, ``invalid`` or ``duplicates``."""
        outcome = self._forward(topic, payload)
        with self._lock:
            self._counts["received"] += 1
            self._counts[outcome] += 1
        return outcome

    def _forward(self, topic: str, payload: bytes) -> str:
        name = topic.removeprefix(self._root + "/")
        device = self._devices.get(name)
        if device is None or name == topic:
            return "unknown"
        try:
            energy, timestamp = parse_reading(payload)
        except ValueError as error:
            log.warning("meter %s: reading refused: %s", name, error)
            return "invalid"
        with self._lock:
            if timestamp <= self._latest.get(name, -1):
                return "duplicates"
            self._latest[name] = timestamp
        try:
            post_json(self._link, device.url, device.path, {"energy": energy, "uuid": device.uuid})
        except PeerFailed as error:
            log.warning("meter %s: %s%s failed: %s", name, device.url, device.path, error.reason)
            return "failed"
        return "forwarded"

    def statistics(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def close(self) -> None:
        """Disconnect cleanly and stop the network thread."""
        self._client.disconnect()
        self._client.loop_stop()
