"""Letters on their way: an outbox of delivery jobs and the link port that posts them.

An agent never calls a peer while answering a request: it stores its own change,
then puts the letter in its :class:`Outbox`. A worker delivers it later, sealing it
(:class:`~plaza.market.auth.letters.LetterFormat`) at delivery time so a retry after
a peer's outage is still fresh. A peer that is down is retried with backoff; a peer
that *refuses* will refuse again, so that letter goes to the dead letters at once and
``on_refused(refusal)`` lets the agent log it and act on it. A :class:`Refusal` holds
the refused letter's body, as queued, and the peer's ``details``: the facts of its
refusal an agent acts on rather than the wording of its reason.

A letter is addressed to a participant (its ``audience``), not to a place. An outbox
given ``address`` (the sender's address book: who is where *now*) looks the recipient's
URL up when the letter leaves, so a peer that moved (restarted on another port) is
reached at its new address, even by letters queued before it moved; and it never gives
up on a letter while ``address`` still knows the recipient: the job is retried, with the
queue's capped backoff, for as long as it takes. A recipient ``address`` no longer knows
(``None``: unregistered, deleted) is gone; its letter is dropped to the dead letters with
a log line. A refusal from an address the recipient has since left is no refusal of the
recipient's: that letter is retried too. An outbox without ``address`` posts to the
``url`` given to :meth:`Outbox.send` and gives up after the queue's attempts; payloads
queued with a ``url`` by older releases are still delivered, to the recipient's current
address when the outbox has ``address``.

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
    "LETTER_ATTEMPTS",
    "AddressOf",
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

#: ``address(participant)``: the URL the participant is served at now, ``None`` if it is
#: gone (no longer registered with the sender).
AddressOf = Callable[[str], str | None]

#: The attempts of a letter whose recipient the outbox can look up: without end in
#: practice, as it is given up only when its recipient is gone (the backoff is capped
#: by the queue's :class:`~plaza.jobs.RetryPolicy`).
LETTER_ATTEMPTS = 2**31 - 1


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
        address: AddressOf | None = None,
    ) -> None:
        self._queue = queue
        self._address = address
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
        path: str,
        recipient: str,
        audience: str,
        body: Mapping[str, Any],
        url: str | None = None,
        key: str | None = None,
    ) -> None:
        """Queue a letter to the participant ``audience``, whose key text is ``recipient``;
        with ``key``, a second send under the same key is the same letter.

        ``url`` is where to post it, for an outbox without ``address`` only (one with it
        looks the recipient up when the letter leaves).
        """
        payload: dict[str, Any] = {
            "path": path,
            "recipient": recipient,
            "audience": audience,
            "body": dict(body),
        }
        if self._address is None:
            if url is None:
                raise ValueError("an outbox without an address book is told each letter's url")
            payload["url"] = url
        attempts = None if self._address is None else LETTER_ATTEMPTS
        self._queue.enqueue(self._job, payload, key=key, max_attempts=attempts)

    def handlers(self) -> dict[str, Callable[[Mapping[str, Any]], None]]:
        return {self._job: self.deliver}

    def deliver(self, payload: Mapping[str, Any]) -> None:
        """The job: find the recipient, seal the letter now and post it."""
        url = self._destination(payload)
        document = self._letters.seal(
            payload["body"],
            sender=self._sender(),
            key=self._identity().signing,
            recipient=self._recipient_key(payload["recipient"]),
            audience=payload["audience"],
            now_ms=self._clock.now_ms(),
        )
        try:
            self._link.post(url, payload["path"], document)
        except DeliveryFailed as error:
            if not error.refused:
                raise
            if self._moved(payload["audience"], url):
                raise DeliveryFailed(
                    url,
                    payload["path"],
                    f"refused where the recipient no longer is: {error}",
                    refused=False,
                ) from None
            self._refused(url, payload, error)

    def _destination(self, payload: Mapping[str, Any]) -> str:
        """Where the recipient is now (the queued ``url`` without an address book)."""
        if self._address is None:
            url: str = payload["url"]
            return url
        audience, path = payload["audience"], payload["path"]
        found = self._address(audience)
        if found is None:
            log.warning("a letter to %s (%s) is dropped: %s is gone", audience, path, audience)
            raise PermanentFailure(f"{audience} is no longer registered")
        return found

    def _moved(self, audience: str, url: str) -> bool:
        """Whether the recipient is at another address than ``url`` now: whoever refused
        the letter there was not the recipient."""
        return self._address is not None and self._address(audience) not in (url, None)

    def _refused(self, url: str, payload: Mapping[str, Any], error: DeliveryFailed) -> None:
        """The recipient refused the letter, and would again: reported, then dead."""
        log.warning("%s refused a letter: %s", url + payload["path"], error.reason)
        if self._on_refused is not None:
            refusal = Refusal(
                url=url,
                path=payload["path"],
                reason=error.reason,
                body=payload["body"],
                details=error.peer_details,
            )
            self._on_refused(refusal)
        raise PermanentFailure(str(error)) from None
