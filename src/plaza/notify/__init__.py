"""Notifications to the outside: signed webhooks (TM Forum style hub) and MQTT topics for devices.

:class:`NotificationHub` keeps subscriptions (callback, optional TMF ``query``,
HMAC secret; callbacks only to public addresses unless a :class:`CallbackPolicy`
allows private ones) and fans each :class:`Event` out: webhook posts and MQTT
publication as durable jobs through a :class:`DeliveryQueue` (any
``plaza.jobs`` queue fits), and the live :class:`EventStream`. Receivers check
posts with :func:`verify_signature`; see :mod:`plaza.notify.signatures`.

This face exports the ports, the model, the hub and the in-memory adapters; the
adapters over a driver are imported from their modules by the composition root:
:mod:`~plaza.notify.stores` (SQLite), :mod:`~plaza.notify.webhook` and
:mod:`~plaza.notify.transport` (httpx), :mod:`~plaza.notify.mqtt` (paho-mqtt).
"""

from plaza.notify.callbacks import CallbackPolicy, refused_because, system_resolver
from plaza.notify.errors import (
    InvalidEvent,
    InvalidSubscription,
    NotificationDeliveryFailed,
    NotifyError,
    PublishFailed,
    SignatureRejected,
    StoreError,
    SubscriptionNotFound,
)
from plaza.notify.hub import NotificationHub, delivery_id
from plaza.notify.memory import MemorySubscriptionStore
from plaza.notify.model import Event, EventQuery, Subscription
from plaza.notify.ports import Clock, DeliveryQueue, MqttConnection, SubscriptionStore
from plaza.notify.signatures import WEBHOOK_JOB, check_signature, sign, verify_signature
from plaza.notify.stream import EventStream, StreamSubscription
from plaza.notify.topics import MQTT_JOB, MemoryPublisher, MqttRelay, topics_for

__all__ = [
    "MQTT_JOB",
    "WEBHOOK_JOB",
    "CallbackPolicy",
    "Clock",
    "DeliveryQueue",
    "Event",
    "EventQuery",
    "EventStream",
    "InvalidEvent",
    "InvalidSubscription",
    "MemoryPublisher",
    "MemorySubscriptionStore",
    "MqttConnection",
    "MqttRelay",
    "NotificationDeliveryFailed",
    "NotificationHub",
    "NotifyError",
    "PublishFailed",
    "SignatureRejected",
    "StoreError",
    "StreamSubscription",
    "Subscription",
    "SubscriptionNotFound",
    "SubscriptionStore",
    "check_signature",
    "delivery_id",
    "refused_because",
    "sign",
    "system_resolver",
    "topics_for",
    "verify_signature",
]
