"""Letters on their way: an outbox of delivery jobs and the link port that posts them.

A module never calls another while answering a request: it stores its own
change, then puts the letter in its :class:`Outbox`. A worker delivers it later
(the seed's Bull queues), sealing it at delivery time so a retry after a peer's
outage is still fresh. A peer that is down is retried with backoff; a peer that
*refuses* (``success: false``) will refuse again, so that letter goes to the
dead letters at once and ``on_refused(refusal)`` lets the module log it and act on it.
A :class:`Refusal` holds the refused letter's body, as queued (the bid manager finds the
bids of a refused ``/match`` in it), and the peer's ``details``, the facts of its
refusal a module acts on rather than the wording of its reason.

The :class:`Link` over HTTP is the adapter :class:`~plaza.api.energy.link.HttpLink`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from plaza.crypto import Identity
from plaza.energy.envelope import ModuleKey, seal_letter
from plaza.energy.errors import NO_DETAILS, Details, PeerFailed
from plaza.jobs import JobQueue, PermanentFailure
from plaza.ledger.ports import Clock

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

DELIVER_JOB = "energy.deliver"


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
    """Posts a JSON document to another module and returns its ``success: true`` reply."""

    def post(self, url: str, path: str, document: bytes) -> dict[str, Any]:
        """Raise :class:`PeerFailed` (``refused`` or not) unless the peer succeeded."""
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
    """Post an unsealed JSON body (the seed's plain endpoints: /init, /produce, /consume)."""
    return link.post(url, path, json.dumps(dict(body)).encode())


class Outbox:
    """One module's outgoing letters, delivered by :data:`DELIVER_JOB` jobs on its queue."""

    def __init__(
        self,
        queue: JobQueue,
        link: Link,
        *,
        sender: Callable[[], str],
        identity: Callable[[], Identity],
        clock: Clock,
        on_refused: OnRefused | None = None,
    ) -> None:
        self._queue = queue
        self._link = link
        self._sender = sender
        self._identity = identity
        self._clock = clock
        self._on_refused = on_refused

    def send(
        self,
        *,
        url: str,
        path: str,
        recipient: ModuleKey,
        audience: str,
        body: Mapping[str, Any],
        key: str | None = None,
    ) -> None:
        """Queue a letter; with ``key``, a second send under the same key is the same letter."""
        payload = {
            "url": url,
            "path": path,
            "recipient": recipient.to_text(),
            "audience": audience,
            "body": dict(body),
        }
        self._queue.enqueue(DELIVER_JOB, payload, key=key)

    def handlers(self) -> dict[str, Callable[[Mapping[str, Any]], None]]:
        return {DELIVER_JOB: self.deliver}

    def deliver(self, payload: Mapping[str, Any]) -> None:
        """The job: seal the letter now and post it."""
        document = seal_letter(
            payload["body"],
            sender=self._sender(),
            identity=self._identity(),
            recipient=ModuleKey.from_text(payload["recipient"]),
            audience=payload["audience"],
            now_ms=self._clock.now_ms(),
        )
        try:
            self._link.post(payload["url"], payload["path"], document)
        except PeerFailed as error:
            if not error.refused:
                raise
            log.warning("%s refused a letter: %s", payload["url"] + payload["path"], error.reason)
            if self._on_refused is not None:
                self._on_refused(
                    Refusal(
                        url=payload["url"], path=payload["path"], reason=error.reason,
                        body=payload["body"], details=error.peer_details,
                    )
                )  # fmt: skip
            raise PermanentFailure(str(error)) from None
