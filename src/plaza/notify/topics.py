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

from collections.abc import Mapping
from typing import Any

from plaza.notify.errors import InvalidEvent, PublishFailed
from plaza.notify.model import Event
from plaza.notify.ports import MqttConnection

__all__ = ["MQTT_JOB", "MemoryPublisher", "MqttRelay", "topics_for"]

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

    def __init__(self, publisher: MqttConnection) -> None:
        self._publisher = publisher

    def __call__(self, payload: Mapping[str, Any]) -> None:
        body = str(payload["body"]).encode()
        for topic in payload["topics"]:
            self._publisher.publish(str(topic), body)


class MemoryPublisher:
    """The in-memory :class:`~plaza.notify.ports.MqttConnection`: records, or fails on request."""

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
