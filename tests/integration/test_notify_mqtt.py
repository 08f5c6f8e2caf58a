"""MQTT publication against a real Mosquitto: a real client subscribes and receives.

The shared broker is the machine's (``localhost:1883``); each test publishes
under a topic root of its own, so runs never see each other's messages. The
outage test starts a private ``mosquitto`` on a free port, stops it and starts
it again.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from notify_support import free_port, mqtt_broker_or_skip
from paho.mqtt.enums import CallbackAPIVersion

from plaza.jobs import InlineQueue, RetryPolicy, Worker
from plaza.notify import (
    MQTT_JOB,
    Event,
    MemorySubscriptionStore,
    MqttRelay,
    NotificationHub,
    PublishFailed,
)
from plaza.notify.mqtt import MqttPublisher
from plaza.testing import FakeClock


@pytest.fixture
def broker() -> tuple[str, int]:
    return mqtt_broker_or_skip()


class Listener:
    """A real MQTT client subscribed to ``topic`` (QoS 1), collecting what arrives."""

    def __init__(self, host: str, port: int, topic: str) -> None:
        self.messages: list[mqtt.MQTTMessage] = []
        self._arrived = threading.Condition()
        ready = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=uuid.uuid4().hex)
        self._client.on_connect = lambda client, *_: client.subscribe(topic, qos=1)
        self._client.on_subscribe = lambda *_: ready.set()
        self._client.on_message = self._on_message
        self._client.connect(host, port)
        self._client.loop_start()
        assert ready.wait(10), "the listener never got its SUBACK"

    def _on_message(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()

    def wait_for(self, count: int, timeout_s: float = 10) -> list[mqtt.MQTTMessage]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.messages) >= count, timeout_s)
            return list(self.messages)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


@contextmanager
def listening(host: str, port: int, topic: str) -> Iterator[Listener]:
    listener = Listener(host, port, topic)
    try:
        yield listener
    finally:
        listener.close()


def test_hub_events_reach_a_real_subscriber(broker: tuple[str, int]) -> None:
    host, port = broker
    root = f"plaza-test-{uuid.uuid4().hex[:12]}"
    clock = FakeClock()
    queue = InlineQueue(clock)
    hub = NotificationHub(MemorySubscriptionStore(), queue, clock, mqtt_root=root)
    event = Event.new(
        "ContractCreateEvent",
        {"contract": {"id": "c1", "price": 5}},
        time_ms=clock.now_ms(),
        participants=("plaza1buyer", "plaza1seller"),
    )
    with listening(host, port, f"{root}/#") as listener:
        publisher = MqttPublisher(host, port)
        try:
            hub.publish(event)
            assert Worker(queue, {MQTT_JOB: MqttRelay(publisher)}).run_until_idle() == 1
            messages = listener.wait_for(3)
        finally:
            publisher.close()
            queue.close()

    assert sorted(message.topic for message in messages) == [
        f"{root}/events/ContractCreateEvent",
        f"{root}/plaza1buyer/ContractCreateEvent",
        f"{root}/plaza1seller/ContractCreateEvent",
    ]
    for message in messages:
        assert message.qos == 1
        assert not message.retain
        assert json.loads(message.payload) == event.body()


def test_a_device_follows_only_its_own_topic(broker: tuple[str, int]) -> None:
    host, port = broker
    root = f"plaza-test-{uuid.uuid4().hex[:12]}"
    with listening(host, port, f"{root}/device-7/#") as device:
        publisher = MqttPublisher(host, port)
        try:
            publisher.publish(f"{root}/device-3/OfferStateChangeEvent", b'{"n":1}')
            publisher.publish(f"{root}/device-7/OfferStateChangeEvent", b'{"n":2}')
            (message,) = device.wait_for(1)
            time.sleep(0.2)  # room for a stray message to arrive, were one routed here
        finally:
            publisher.close()
    assert (message.topic, message.payload) == (
        f"{root}/device-7/OfferStateChangeEvent",
        b'{"n":2}',
    )
    assert len(device.messages) == 1


def test_no_broker_fails_at_once() -> None:
    with pytest.raises(PublishFailed, match="cannot connect"):
        MqttPublisher("127.0.0.1", free_port(), timeout_s=3)


@contextmanager
def private_broker(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A ``mosquitto`` of the test's own on ``port``, stopped on exit."""
    process = subprocess.Popen(
        ["mosquitto", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                mqtt_broker_at(port)
                break
            except OSError:
                time.sleep(0.05)
        yield process
    finally:
        process.terminate()
        process.wait(10)


def mqtt_broker_at(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("mosquitto") is None, reason="no mosquitto binary to start")
def test_a_broker_outage_delays_events_without_losing_them() -> None:
    port = free_port()
    clock = FakeClock()
    queue = InlineQueue(clock, policy=RetryPolicy(max_attempts=1_000))
    hub = NotificationHub(MemorySubscriptionStore(), queue, clock, mqtt_root="plaza")
    event = Event.new("ContractCreateEvent", {}, time_ms=clock.now_ms())
    with private_broker(port):
        publisher = MqttPublisher("127.0.0.1", port, timeout_s=5)
    try:
        worker = Worker(queue, {MQTT_JOB: MqttRelay(publisher)})
        hub.publish(event)
        worker.run_until_idle()
        assert queue.statistics()["pending"] == 1  # broker gone: the job backs off

        with private_broker(port), listening("127.0.0.1", port, "plaza/#") as listener:
            deadline = time.monotonic() + 40  # paho reconnects by itself, within 30 s
            while queue.statistics()["done"] == 0 and time.monotonic() < deadline:
                clock.advance(seconds=60)
                worker.run_until_idle()
                time.sleep(0.2)
            (message,) = listener.wait_for(1)
        assert json.loads(message.payload) == event.body()
    finally:
        publisher.close()
        queue.close()
