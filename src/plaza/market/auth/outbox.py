"""Letters on their way: an outbox of delivery jobs and the link port that posts them.

An agent never calls a peer while answering a request: it stores its own change,
then puts the letter in its :class:`Outbox`. A worker delivers it later, sealing it
(:class:`~plaza.market.auth.letters.LetterFormat`) at delivery time so a retry after
a peer's outage is still fresh. A peer that is down is retried with backoff; a peer
that *refuses* will refuse again, so that letter goes to the dead letters at once and
``on_refused(refusal)`` lets the agent log it and act on it. A :class:`Refusal` holds
the refused letter's body, as queued, and the peer's ``details``: the facts of its
refusal an agent acts on rather than the wording of its reason.

A :class:`Link` posts a document and returns the peer's ``success: true`` reply, or
raises :class:`~plaza.market.auth.errors.DeliveryFailed` (``refused`` or not). The
letters' recipient travels in the job as the text of its key, which the outbox's
``recipient_key`` turns back into the X25519 key it seals to (a vertical names its
own key text; hex of the raw key by default).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from plaza.clock import Clock
from plaza.crypto import EncryptionPublicKey, Identity
from plaza.jobs import JobQueue, PermanentFailure
from plaza.market.auth.errors import NO_DETAILS, DeliveryFailed, Details
from plaza.market.auth.letters import LetterFormat

__all__ = [
    "DELIVER_JOB",
    "Link",
    "OnRefused",
    "Outbox",
    "Refusal",
    "post_json",
    "read_details",
]

log = logging.getLogger(__name__)

#: The job name of a letter's delivery, unless the outbox is given another.
DELIVER_JOB = "letters.deliver"


@dataclass(frozen=True)
class Refusal:
    """A peer at ``url`` refused the letter to ``path`` whose body was ``body``.

    ``reason`` is the peer's ``error`` (for people and logs); ``details`` are the
    structured facts of its refusal, empty when it gave none.
    """

    url: str
    path: str
    reason: str
    body: Mapping[str, Any]
    details: Details = field(default_factory=dict)


#: ``on_refused(refusal)``: a peer refused a letter, and would refuse it again.
OnRefused = Callable[[Refusal], None]


class Link(Protocol):
    """Posts a JSON document to a peer and returns its ``success: true`` reply."""

    def post(self, url: str, path: str, document: bytes) -> dict[str, Any]:
        """Raise :class:`DeliveryFailed` (``refused`` or not) unless the peer succeeded."""
        ...


def read_details(value: object) -> Details:
    """The ``details`` of a peer's reply: what is a string or a list of strings, by name.

    A peer's reply is not trusted: anything else (not an object, a number, a list
    holding a non-string) is left out rather than refused.
    """
    if not isinstance(value, Mapping):
        return NO_DETAILS
    details: dict[str, str | list[str]] = {}
    for name, item in value.items():
        if not isinstance(name, str):
            continue
        if isinstance(item, str):
            details[name] = item
        elif isinstance(item, list) and all(isinstance(entry, str) for entry in item):
            details[name] = list(item)
    return details


def post_json(link: Link, url: str, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Post an unsealed JSON body (a peer's plain endpoints)."""
    return link.post(url, path, json.dumps(dict(body)).encode())


def _hex_key(text: str) -> EncryptionPublicKey:
    return EncryptionPublicKey(bytes.fromhex(text))


class Outbox:
    """One agent's outgoing letters, delivered by jobs on its queue."""

    def __init__(
        self,
        queue: JobQueue,
        link: Link,
        *,
        letters: LetterFormat,
        sender: Callable[[], str],
        identity: Callable[[], Identity],
        clock: Clock,
        on_refused: OnRefused | None = None,
        job: str = DELIVER_JOB,
        recipient_key: Callable[[str], EncryptionPublicKey] = _hex_key,
    ) -> None:
        self._queue = queue
        self._link = link
        self._letters = letters
        self._sender = sender
        self._identity = identity
        self._clock = clock
        self._on_refused = on_refused
        self._job = job
        self._recipient_key = recipient_key

    def send(
        self,
        *,
        url: str,
        path: str,
        recipient: str,
        audience: str,
        body: Mapping[str, Any],
        key: str | None = None,
    ) -> None:
        """Queue a letter to the peer whose key text is ``recipient``; with ``key``, a second
        send under the same key is the same letter."""
        payload = {
            "url": url,
            "path": path,
            "recipient": recipient,
            "audience": audience,
            "body": dict(body),
        }
        self._queue.enqueue(self._job, payload, key=key)

    def handlers(self) -> dict[str, Callable[[Mapping[str, Any]], None]]:
        return {self._job: self.deliver}

    def deliver(self, payload: Mapping[str, Any]) -> None:
        """The job: seal the letter now and post it."""
        document = self._letters.seal(
            payload["body"],
            sender=self._sender(),
            key=self._identity().signing,
            recipient=self._recipient_key(payload["recipient"]),
            audience=payload["audience"],
            now_ms=self._clock.now_ms(),
        )
        try:
            self._link.post(payload["url"], payload["path"], document)
        except DeliveryFailed as error:
            if not error.refused:
                raise
            log.warning("%s refused a letter: %s", payload["url"] + payload["path"], error.reason)
            if self._on_refused is not None:
                refusal = Refusal(
                    url=payload["url"],
                    path=payload["path"],
                    reason=error.reason,
                    body=payload["body"],
                    details=error.peer_details,
                )
                self._on_refused(refusal)
            raise PermanentFailure(str(error)) from None
