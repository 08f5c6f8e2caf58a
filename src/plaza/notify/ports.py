"""What notifications need from the outside world: storage, a durable queue, a broker, time.

:class:`DeliveryQueue` is deliberately the one method of
:class:`plaza.jobs.JobQueue` that the hub uses, with the same signature, so the
composition root passes any ``plaza.jobs`` queue as it is, while this package
stays independent of ``plaza.jobs`` (the two are one layer of adapters).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from plaza.clock import Clock
from plaza.notify.model import Subscription

__all__ = ["Clock", "DeliveryQueue", "MqttConnection", "SubscriptionStore"]


class DeliveryQueue(Protocol):
    """A durable queue that runs each job at least once, retrying with backoff."""

    def enqueue(
        self, name: str, payload: Mapping[str, object], *, key: str | None = None
    ) -> object:
        """Store a job for the handler registered under ``name``; a repeated ``key`` is ignored."""
        ...


class SubscriptionStore(Protocol):
    """Where the hub keeps its subscriptions, secrets included."""

    def add(self, subscription: Subscription) -> None:
        """Store a new subscription (its id is fresh)."""
        ...

    def remove(self, subscription_id: str) -> bool:
        """Delete it; ``False`` if there was none."""
        ...

    def get(self, subscription_id: str) -> Subscription | None:
        """The subscription, if it is still registered."""
        ...

    def list_all(self) -> list[Subscription]:
        """Every subscription, oldest first."""
        ...

    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""
        ...


class MqttConnection(Protocol):
    """An MQTT connection, or its in-memory fake."""

    def publish(self, topic: str, payload: bytes) -> None:
        """Publish with QoS 1; return once the broker acknowledged, else raise PublishFailed."""
        ...

    def close(self) -> None:
        """Disconnect; the publisher is unusable afterwards."""
        ...
