"""Why a notification could not be registered, signed, delivered or published.

    NotifyError
    ├── InvalidSubscription     callback URL or query refused (carries the reason)
    ├── InvalidEvent            event type or participant unusable (topics, filters)
    ├── SubscriptionNotFound    no subscription with that id
    ├── StoreError              the subscription store's database failed
    ├── SignatureRejected       a received webhook's signature is stale, malformed or wrong
    ├── NotificationDeliveryFailed the receiver did not answer 2xx; the delivery job retries
    └── PublishFailed           the MQTT broker did not acknowledge; the job retries

Messages never contain a subscription's secret, nor its callback URL (whose
query string may carry the receiver's own token).
"""

from __future__ import annotations

__all__ = [
    "InvalidEvent",
    "InvalidSubscription",
    "NotificationDeliveryFailed",
    "NotifyError",
    "PublishFailed",
    "SignatureRejected",
    "StoreError",
    "SubscriptionNotFound",
]


class NotifyError(Exception):
    """Base of every error the notify package raises."""


class InvalidSubscription(NotifyError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid subscription: {reason}")
        self.reason = reason


class InvalidEvent(NotifyError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid event: {reason}")
        self.reason = reason


class SubscriptionNotFound(NotifyError):
    def __init__(self, subscription_id: str) -> None:
        super().__init__(f"no subscription {subscription_id!r}")
        self.subscription_id = subscription_id


class StoreError(NotifyError):
    """The subscription store failed; a failed write changed nothing."""


class SignatureRejected(NotifyError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"webhook signature rejected: {reason}")
        self.reason = reason


class NotificationDeliveryFailed(NotifyError):
    def __init__(self, delivery_id: str, reason: str, status: int | None = None) -> None:
        super().__init__(f"delivery {delivery_id} failed: {reason}")
        self.delivery_id = delivery_id
        self.reason = reason
        self.status = status


class PublishFailed(NotifyError):
    def __init__(self, topic: str, reason: str) -> None:
        super().__init__(f"publishing to {topic} failed: {reason}")
        self.topic = topic
        self.reason = reason
