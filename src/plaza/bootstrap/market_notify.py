"""Where the marketplace's events go: its notification hub, the durable queue its
webhooks (and MQTT messages) wait in, and the live event stream of ``/events``."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy import make_url

from plaza.bootstrap.market_files import MarketDataDir
from plaza.clock import Clock
from plaza.jobs import InlineQueue, JobQueue, Worker
from plaza.jobs.ports import Handler
from plaza.jobs.redis import RedisQueue
from plaza.jobs.sqlite import SqliteQueue
from plaza.notify import (
    MQTT_JOB,
    WEBHOOK_JOB,
    CallbackPolicy,
    EventStream,
    MqttRelay,
    NotificationHub,
)
from plaza.notify.mqtt import MqttPublisher
from plaza.notify.postgres import SharedEventStream, channel_for
from plaza.notify.stores import SqliteSubscriptionStore
from plaza.notify.transport import guarded_transport
from plaza.notify.webhook import WebhookDeliverer
from plaza.settings import MarketSettings

__all__ = ["open_hub"]


def _open_queue(settings: MarketSettings, data: MarketDataDir, clock: Clock) -> JobQueue:
    match settings.jobs:
        case "inline":
            return InlineQueue(clock)
        case "sqlite":
            return SqliteQueue(data.path / "jobs.sqlite3", clock)
        case "redis":
            url = settings.redis_url.get_secret_value()
            return RedisQueue(url, clock, prefix="plaza:market:jobs")


def open_hub(
    settings: MarketSettings, data: MarketDataDir, clock: Clock, closers: list[Callable[[], object]]
) -> tuple[NotificationHub, EventStream, Worker]:
    """The hub over a durable queue, and the worker that delivers its webhooks (and MQTT
    messages when a broker is configured)."""
    queue = _open_queue(settings, data, clock)
    closers.append(queue.close)
    subscriptions = SqliteSubscriptionStore(data.hub)
    closers.append(subscriptions.close)
    callbacks = CallbackPolicy(allow_private=settings.allow_private_callbacks)
    client = httpx.Client(transport=guarded_transport(callbacks), trust_env=False)
    closers.append(client.close)
    deliverer = WebhookDeliverer(subscriptions, client, clock, callbacks=callbacks)
    handlers: dict[str, Handler] = {WEBHOOK_JOB: deliverer}
    mqtt_root = None
    if settings.mqtt_host is not None:
        publisher = MqttPublisher(settings.mqtt_host, settings.mqtt_port)
        closers.append(publisher.close)
        handlers[MQTT_JOB] = MqttRelay(publisher)
        mqtt_root = settings.mqtt_root
    stream = _event_stream(settings, closers)
    hub = NotificationHub(
        subscriptions, queue, clock, stream=stream, mqtt_root=mqtt_root, callbacks=callbacks
    )
    return hub, stream, Worker(queue, handlers)


def _event_stream(settings: MarketSettings, closers: list[Callable[[], object]]) -> EventStream:
    """The live events of this process; on PostgreSQL, shared with the marketplace's other
    worker processes (each worker's ``/events`` hears what any of them published)."""
    url = settings.database_url
    parsed = None if url is None else make_url(url.get_secret_value())
    if parsed is None or parsed.get_backend_name() != "postgresql":
        return EventStream()
    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    stream = SharedEventStream(dsn, channel_for(settings.database_schema))
    closers.append(stream.close)
    return stream
