"""Events on MQTT, for devices: a topic per participant and one per event type.

    plaza/<participant>/<EventType>     what concerns one party (a device subscribes
                                        to ``plaza/<its id>/#``)
    plaza/events/<EventType>            every event of a type, for dashboards

Messages are the TMF688 JSON body, QoS 1, not retained. Publication runs as a
job (:data:`MQTT_JOB`) so a broker outage delays events instead of losing them;
QoS 1 and job retries both mean a subscriber may see an event twice and should
deduplicate on ``eventId``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from plaza.notify.errors import InvalidEvent, PublishFailed
from plaza.notify.model import Event
from plaza.notify.ports import Publisher

__all__ = ["MQTT_JOB", "MemoryPublisher", "MqttPublisher", "MqttRelay", "topics_for"]

#: The job name the composition root registers :class:`MqttRelay` under.
MQTT_JOB = "notify.mqtt"

#: The topic level under the root that carries every event by type.
_BY_TYPE = "events"


def topics_for(event: Event, *, root: str = "plaza") -> list[str]:
    """The topics ``event`` goes to: each participant's, then the by-type one."""
    if _BY_TYPE in event.participants:
        raise InvalidEvent(f"participant {_BY_TYPE!r} would collide with the by-type topics")
    topics = [f"{root}/{participant}/{event.type}" for participant in event.participants]
    return [*topics, f"{root}/{_BY_TYPE}/{event.type}"]


class MqttRelay:
    """The :data:`MQTT_JOB` handler: publish one event's body to its topics."""

    def __init__(self, publisher: Publisher) -> None:
        self._publisher = publisher

    def __call__(self, payload: Mapping[str, Any]) -> None:
        body = str(payload["body"]).encode()
        for topic in payload["topics"]:
            self._publisher.publish(str(topic), body)


class MemoryPublisher:
    """The in-memory :class:`~plaza.notify.ports.Publisher`: records, or fails on request."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.failures_left = 0

    def publish(self, topic: str, payload: bytes) -> None:
        if self.failures_left > 0:
            self.failures_left -= 1
            raise PublishFailed(topic, "broker unavailable (simulated)")
        self.messages.append((topic, payload))

    def close(self) -> None:
        self.messages.clear()


class MqttPublisher:
    """A :class:`~plaza.notify.ports.Publisher` over paho-mqtt, on its own network thread.

    The constructor connects and waits for the broker's CONNACK; afterwards paho
    reconnects by itself. :meth:`publish` refuses at once while disconnected
    (the job retries later) rather than queueing in memory, and otherwise waits
    for the PUBACK. Blocking throughout: call it from a worker thread.
    """

    def __init__(
        self,
        host: str = "localhost",
        port: int = 1883,
        *,
        client_id: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self._timeout = timeout_s
        self._connected = threading.Event()
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"plaza-{uuid.uuid4().hex[:12]}",
            protocol=mqtt.MQTTv311,
        )
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        try:
            self._client.connect(host, port, keepalive=30)
        except OSError as error:
            raise PublishFailed(f"{host}:{port}", f"cannot connect: {error}") from error
        self._client.loop_start()
        if not self._connected.wait(timeout_s):
            self.close()
            raise PublishFailed(f"{host}:{port}", f"no CONNACK within {timeout_s} s")

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        if not reason.is_failure:
            self._connected.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        self._connected.clear()

    def publish(self, topic: str, payload: bytes) -> None:
        if not self._connected.is_set():
            raise PublishFailed(topic, "not connected to the broker")
        info = self._client.publish(topic, payload, qos=1)
        try:
            info.wait_for_publish(self._timeout)
        except (ValueError, RuntimeError) as error:
            raise PublishFailed(topic, str(error)) from error
        if not info.is_published():
            raise PublishFailed(topic, f"no PUBACK within {self._timeout} s")

    def close(self) -> None:
        """Disconnect cleanly and stop the network thread."""
        self._client.disconnect()
        self._client.loop_stop()
