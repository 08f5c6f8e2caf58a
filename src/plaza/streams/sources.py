"""Where a sensor's readings come from: a simulation, a command, or a meter over MQTT.

A :class:`ReadingSource` says which data types it reports and gives the reading
for a moment, or None when it has nothing new (the agent then publishes
nothing). :class:`~plaza.streams.readings.SimulatedProfile` is one;
:class:`CommandSource` runs a command for each reading and takes the JSON object
it prints; :class:`MqttSource` subscribes to a topic on a broker (Mosquitto) and
publishes the latest values a meter sent since the last reading. Values are
numbers keyed by the declared type names (:func:`~plaza.streams.readings.values_for`);
a reading that does not parse is logged and skipped, never published.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from plaza.streams.announcement import DataType
from plaza.streams.readings import InvalidReading, Reading, values_for

__all__ = ["CommandSource", "MqttSource", "ReadingSource"]

log = logging.getLogger(__name__)


class ReadingSource(Protocol):
    """What a sensor publishes: its data types, a reading for a moment (None: nothing new)."""

    @property
    def data_types(self) -> tuple[DataType, ...]: ...

    def reading(self, at_ms: int) -> Reading | None: ...

    def close(self) -> None: ...


class CommandSource:
    """Runs ``argv`` for every reading; its standard output is one JSON object of values."""

    def __init__(
        self, argv: list[str], data_types: tuple[DataType, ...], *, timeout_s: float = 10.0
    ) -> None:
        self._argv, self._types, self._timeout_s = argv, data_types, timeout_s

    @property
    def data_types(self) -> tuple[DataType, ...]:
        return self._types

    def reading(self, at_ms: int) -> Reading | None:
        try:
            done = subprocess.run(  # noqa: S603 - the operator's own command, no shell
                self._argv, capture_output=True, timeout=self._timeout_s, check=True
            )
            return Reading(at_ms, values_for(done.stdout, self._types))
        except (OSError, subprocess.SubprocessError, InvalidReading) as error:
            log.warning("reading command %s gave no reading: %s", self._argv[0], error)
            return None

    def close(self) -> None:
        """Nothing to release: each reading's command has exited."""


class MqttSource:
    """The latest values a meter published on ``topic``; connects on construction."""

    def __init__(
        self,
        host: str,
        port: int,
        topic: str,
        data_types: tuple[DataType, ...],
        *,
        timeout_s: float = 10.0,
    ) -> None:
        self._types, self._topic = data_types, topic
        self._lock = threading.Lock()
        self._latest: dict[str, float] | None = None
        self._subscribed = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = lambda *_: self._subscribed.set()
        self._client.on_message = self._on_message
        self._client.connect(host, port, keepalive=30)
        self._client.loop_start()
        if not self._subscribed.wait(timeout_s):
            self.close()
            raise ConnectionError(f"no subscription to {topic} at {host}:{port} in {timeout_s} s")

    @property
    def data_types(self) -> tuple[DataType, ...]:
        return self._types

    def _on_connect(self, client: mqtt.Client, *_: Any) -> None:
        client.subscribe(self._topic, qos=1)  # again after every reconnection

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            values = values_for(bytes(message.payload), self._types)
        except InvalidReading as error:
            log.warning("meter message on %s refused: %s", message.topic, error)
            return
        with self._lock:
            self._latest = values

    def reading(self, at_ms: int) -> Reading | None:
        with self._lock:
            latest, self._latest = self._latest, None
        return None if latest is None else Reading(at_ms, latest)

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()
