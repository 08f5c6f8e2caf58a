"""The notification hub: subscriptions in the TM Forum style, and fan-out of each event.

``publish(event)`` is quick and never does network I/O itself: it hands each
matching webhook delivery, and the event's MQTT publication, to the durable
:class:`~plaza.notify.ports.DeliveryQueue` as jobs (run by
:class:`~plaza.notify.webhook.WebhookDeliverer` and
:class:`~plaza.notify.topics.MqttRelay`), and offers the event to the live
stream. Job keys are derived from the event and subscription ids, so
publishing the same event twice delivers it once. Callback URLs pass the
hub's :class:`~plaza.notify.callbacks.CallbackPolicy` first: by default none
may point at a loopback, private or otherwise non-public address.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from urllib.parse import urlsplit

from plaza.notify.callbacks import CallbackPolicy
from plaza.notify.errors import InvalidSubscription, SubscriptionNotFound
from plaza.notify.model import Event, EventQuery, Subscription
from plaza.notify.ports import Clock, DeliveryQueue, SubscriptionStore
from plaza.notify.signatures import WEBHOOK_JOB
from plaza.notify.stream import EventStream
from plaza.notify.topics import MQTT_JOB, topics_for

__all__ = ["MIN_SECRET_LENGTH", "NotificationHub", "delivery_id"]

log = logging.getLogger(__name__)

#: A caller-chosen secret shorter than this is refused (ours are 64 hex digits).
MIN_SECRET_LENGTH = 32


def delivery_id(event_id: str, subscription_id: str) -> str:
    """The stable id of one event's delivery to one subscriber, across all retries."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"plaza:{event_id}:{subscription_id}").hex


class NotificationHub:
    """Register, list and unregister webhook subscriptions; publish events to everyone."""

    def __init__(
        self,
        store: SubscriptionStore,
        queue: DeliveryQueue,
        clock: Clock,
        *,
        stream: EventStream | None = None,
        mqtt_root: str | None = None,
        callbacks: CallbackPolicy | None = None,
    ) -> None:
        """``mqtt_root`` (e.g. ``"plaza"``) turns MQTT publication on under that topic root;
        ``callbacks`` says where webhooks may go (default: public addresses only)."""
        self._callbacks = callbacks or CallbackPolicy()
        self._store = store
        self._queue = queue
        self._clock = clock
        self._stream = stream
        self._mqtt_root = mqtt_root
        self._published = 0

    def register(
        self, callback: str, *, query: EventQuery | str | None = None, secret: str | None = None
    ) -> Subscription:
        """Subscribe ``callback``; the returned subscription is the only time the secret is shown.

        Without a ``secret`` the hub makes one (256 random bits). A callback the policy
        refuses (a private address, say) is :class:`InvalidSubscription`; nothing is stored.
        """
        self._callbacks.check(callback)
        if isinstance(query, str):
            query = EventQuery.parse(query)
        if secret is not None and len(secret) < MIN_SECRET_LENGTH:
            raise InvalidSubscription(f"secret must be at least {MIN_SECRET_LENGTH} characters")
        subscription = Subscription(
            id=uuid.uuid4().hex,
            callback=callback,
            query=query or EventQuery(),
            secret=secret or secrets.token_hex(32),
            created_ms=self._clock.now_ms(),
        )
        self._store.add(subscription)
        log.info("subscription %s registered for %s", subscription.id, urlsplit(callback).hostname)
        return subscription

    def unregister(self, subscription_id: str) -> None:
        """Stop deliveries to it, including retries already queued."""
        if not self._store.remove(subscription_id):
            raise SubscriptionNotFound(subscription_id)
        log.info("subscription %s unregistered", subscription_id)

    def subscription(self, subscription_id: str) -> Subscription:
        found = self._store.get(subscription_id)
        if found is None:
            raise SubscriptionNotFound(subscription_id)
        return found

    def subscriptions(self) -> list[Subscription]:
        return self._store.list_all()

    def publish(self, event: Event) -> int:
        """Queue the event's webhooks and MQTT publication, stream it; how many webhooks."""
        body = event.encode().decode()
        topics = topics_for(event, root=self._mqtt_root) if self._mqtt_root else []
        webhooks = 0
        for subscription in self._store.list_all():
            if subscription.query.matches(event):
                self._enqueue_webhook(event, subscription.id, body)
                webhooks += 1
        if topics:
            payload = {"event_id": event.id, "topics": topics, "body": body}
            self._queue.enqueue(MQTT_JOB, payload, key=f"mqtt:{event.id}")
        if self._stream is not None:
            self._stream.publish(event)
        self._published += 1
        return webhooks

    def _enqueue_webhook(self, event: Event, subscription_id: str, body: str) -> None:
        delivery = delivery_id(event.id, subscription_id)
        payload = {
            "delivery_id": delivery,
            "subscription_id": subscription_id,
            "event_type": event.type,
            "body": body,
        }
        self._queue.enqueue(WEBHOOK_JOB, payload, key=f"webhook:{delivery}")

    def statistics(self) -> dict[str, int]:
        return {"published": self._published, "subscriptions": len(self._store.list_all())}
