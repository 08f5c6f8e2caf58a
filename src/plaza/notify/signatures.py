"""Signed webhook posts: how Plaza signs them and how a receiver checks them.

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
import re

from plaza.notify.errors import SignatureRejected

__all__ = ["DEFAULT_TOLERANCE_S", "WEBHOOK_JOB", "check_signature", "sign", "verify_signature"]

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
