"""Notifications to the outside: signed webhooks (TM Forum style hub) and MQTT topics for devices.

:class:`NotificationHub` keeps subscriptions (callback, optional TMF ``query``,
HMAC secret; callbacks only to public addresses unless a :class:`CallbackPolicy`
allows private ones) and fans each :class:`Event` out: webhook posts and MQTT
publication as durable jobs through a :class:`DeliveryQueue` (any
``plaza.jobs`` queue fits), and the live :class:`EventStream`. Receivers check
posts with :func:`verify_signature`; see :mod:`plaza.notify.webhook`.
"""

from plaza.notify.callbacks import (
    CallbackPolicy,
    guarded_transport,
    refused_because,
    system_resolver,
)
from plaza.notify.errors import (
    DeliveryFailed,
    InvalidEvent,
    InvalidSubscription,
    NotifyError,
    PublishFailed,
    SignatureRejected,
    StoreError,
    SubscriptionNotFound,
)
from plaza.notify.hub import NotificationHub, delivery_id
from plaza.notify.model import Event, EventQuery, Subscription
from plaza.notify.mqtt import MQTT_JOB, MemoryPublisher, MqttPublisher, MqttRelay, topics_for
from plaza.notify.ports import Clock, DeliveryQueue, Publisher, SubscriptionStore
from plaza.notify.stores import MemorySubscriptionStore, SqliteSubscriptionStore
from plaza.notify.stream import EventStream, StreamSubscription
from plaza.notify.webhook import (
    WEBHOOK_JOB,
    WebhookDeliverer,
    check_signature,
    sign,
    verify_signature,
)

__all__ = [
    "MQTT_JOB",
    "WEBHOOK_JOB",
    "CallbackPolicy",
    "Clock",
    "DeliveryFailed",
    "DeliveryQueue",
    "Event",
    "EventQuery",
    "EventStream",
    "InvalidEvent",
    "InvalidSubscription",
    "MemoryPublisher",
    "MemorySubscriptionStore",
    "MqttPublisher",
    "MqttRelay",
    "NotificationHub",
    "NotifyError",
    "PublishFailed",
    "Publisher",
    "SignatureRejected",
    "SqliteSubscriptionStore",
    "StoreError",
    "StreamSubscription",
    "Subscription",
    "SubscriptionNotFound",
    "SubscriptionStore",
    "WebhookDeliverer",
    "check_signature",
    "delivery_id",
    "guarded_transport",
    "refused_because",
    "sign",
    "system_resolver",
    "topics_for",
    "verify_signature",
]
