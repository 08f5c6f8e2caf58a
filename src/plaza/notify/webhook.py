"""The webhook delivery job: POST one signed event to one subscriber, over httpx.

How posts are signed and checked is :mod:`plaza.notify.signatures`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import httpx

from plaza.notify.callbacks import CallbackPolicy
from plaza.notify.errors import InvalidSubscription, NotificationDeliveryFailed
from plaza.notify.ports import Clock, SubscriptionStore
from plaza.notify.signatures import sign

__all__ = ["WebhookDeliverer"]

log = logging.getLogger(__name__)


class WebhookDeliverer:
    """The :data:`WEBHOOK_JOB` handler: POST one event to one subscriber, once per attempt.

    The subscription (callback and secret) is looked up when the job runs, so
    secrets never sit in the job queue and an unregistered subscriber gets
    nothing more. Raising :class:`NotificationDeliveryFailed` makes the job queue retry.
    Redirects are not followed: a 3xx is a failure like a 5xx. The response body
    is never read, so a receiver cannot make the deliverer buffer megabytes.
    Before each attempt the callback passes ``callbacks`` again (its host may
    resolve elsewhere now); give the client a
    :func:`~plaza.notify.callbacks.guarded_transport` too, so that the address
    connected to is the one checked.
    """

    def __init__(
        self,
        store: SubscriptionStore,
        client: httpx.Client,
        clock: Clock,
        *,
        timeout_s: float = 10.0,
        callbacks: CallbackPolicy | None = None,
    ) -> None:
        self._callbacks = callbacks or CallbackPolicy()
        self._store = store
        self._client = client
        self._clock = clock
        self._timeout = httpx.Timeout(timeout_s)

    def __call__(self, payload: Mapping[str, Any]) -> None:
        delivery_id = str(payload["delivery_id"])
        subscription = self._store.get(str(payload["subscription_id"]))
        if subscription is None:
            log.info("delivery %s dropped: subscription is gone", delivery_id)
            return
        try:
            self._callbacks.check(subscription.callback)
        except InvalidSubscription as error:  # the reason names an address, never the URL
            raise NotificationDeliveryFailed(
                delivery_id, f"callback refused: {error.reason}"
            ) from None
        body = str(payload["body"]).encode()
        timestamp = self._clock.now_ms() // 1000
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "plaza-notify/1",
            "X-Plaza-Event": str(payload["event_type"]),
            "X-Plaza-Delivery": delivery_id,
            "X-Plaza-Timestamp": str(timestamp),
            "X-Plaza-Signature": sign(subscription.secret, timestamp, body),
        }
        try:
            with self._client.stream(
                "POST", subscription.callback, content=body, headers=headers, timeout=self._timeout
            ) as response:
                status = response.status_code
        except httpx.HTTPError as error:
            raise NotificationDeliveryFailed(delivery_id, f"{type(error).__name__}") from error
        if not 200 <= status < 300:
            raise NotificationDeliveryFailed(delivery_id, f"HTTP {status}", status)
