"""Signed webhook posts: how Plaza signs them, how a receiver checks them, and the delivery job.

Each post carries

    X-Plaza-Event:      the event type (``ContractCreateEvent``)
    X-Plaza-Delivery:   the delivery id, the same on every retry: deduplicate on it
    X-Plaza-Timestamp:  Unix seconds when this attempt was signed
    X-Plaza-Signature:  ``sha256=`` + hex HMAC-SHA256(secret, ``<timestamp>.<raw body>``)

A receiver verifies a post by

1. reading the raw body bytes, before any JSON parsing (re-serialising changes them);
2. refusing a timestamp more than a few minutes from its own clock (replays);
3. computing the HMAC over ``timestamp``, a dot and the body with its secret, and
   comparing in constant time (``hmac.compare_digest``);
4. answering 2xx quickly; anything else, or no answer, is retried with backoff.

:func:`verify_signature` does steps 2 and 3. Signing the timestamp with the body
is what makes step 2 trustworthy: an attacker replaying an old post cannot
freshen its timestamp without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping
from typing import Any

import httpx

from plaza.notify.callbacks import CallbackPolicy
from plaza.notify.errors import DeliveryFailed, InvalidSubscription, SignatureRejected
from plaza.notify.ports import Clock, SubscriptionStore

__all__ = [
    "DEFAULT_TOLERANCE_S",
    "WEBHOOK_JOB",
    "WebhookDeliverer",
    "check_signature",
    "sign",
    "verify_signature",
]

log = logging.getLogger(__name__)

#: The job name the composition root registers :class:`WebhookDeliverer` under.
WEBHOOK_JOB = "notify.webhook"

#: How far a timestamp may be from the receiver's clock (Stripe and GitHub use 5 minutes).
DEFAULT_TOLERANCE_S = 300

_SCHEME = "sha256="
_TIMESTAMP = re.compile(r"[0-9]{1,15}")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Plaza-Signature`` value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return _SCHEME + mac.hexdigest()


def check_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    now: float,
) -> None:
    """Raise :class:`SignatureRejected` unless the post is fresh and signed with ``secret``.

    ``timestamp`` and ``signature`` are the header values as received; ``now``
    is the receiver's time in Unix seconds.
    """
    if not _TIMESTAMP.fullmatch(timestamp):
        raise SignatureRejected("timestamp is not Unix seconds")
    sent = int(timestamp)
    if abs(now - sent) > tolerance_s:
        raise SignatureRejected(f"timestamp is more than {tolerance_s} s from now")
    if not signature.startswith(_SCHEME):
        raise SignatureRejected("signature is not sha256=<hex>")
    expected = sign(secret, sent, body)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise SignatureRejected("signature does not match the body")


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    now: float,
) -> bool:
    """Whether :func:`check_signature` accepts the post: for receivers that only need yes/no."""
    try:
        check_signature(secret, timestamp, body, signature, tolerance_s=tolerance_s, now=now)
    except SignatureRejected:
        return False
    return True


class WebhookDeliverer:
    """The :data:`WEBHOOK_JOB` handler: POST one event to one subscriber, once per attempt.

    The subscription (callback and secret) is looked up when the job runs, so
    secrets never sit in the job queue and an unregistered subscriber gets
    nothing more. Raising :class:`DeliveryFailed` makes the job queue retry.
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
            raise DeliveryFailed(delivery_id, f"callback refused: {error.reason}") from None
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
            raise DeliveryFailed(delivery_id, f"{type(error).__name__}") from error
        if not 200 <= status < 300:
            raise DeliveryFailed(delivery_id, f"HTTP {status}", status)
