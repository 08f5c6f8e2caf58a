"""The MQTT adapter of :class:`~plaza.notify.ports.MqttConnection`: paho-mqtt on its own thread.

Topics, the relay job and the in-memory publisher are in :mod:`plaza.notify.topics`.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from plaza.notify.errors import PublishFailed

__all__ = ["MqttPublisher"]


class MqttPublisher:
    """A :class:`~plaza.notify.ports.MqttConnection` over paho-mqtt, on its own network thread.

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
