"""The energy modules' outbox: the market's letters outbox, in the energy seed's names.

A module never calls another while answering a request: it stores its own change,
then puts the letter in its :class:`EnergyOutbox`: the market's
(:mod:`plaza.market.auth.outbox`, which also has the ``Link`` port, the ``Refusal``
and the delivery rules) with the energy letters' format
(:data:`~plaza.energy.envelope.LETTERS`), their job name ``energy.deliver`` and a
recipient named by its :class:`~plaza.energy.envelope.ModuleKey`. A letter names its
recipient (the ``audience``: ``marketplace``, ``bidmanager``, an asset's or an owner's
id), never its URL: the module's ``address`` (its address book) says where that
recipient is when the letter leaves, so letters queued before a peer moved reach it
where it is now, and are retried for as long as the address book knows the recipient.
A peer's failure is
:class:`~plaza.energy.errors.PeerFailed`, the market's ``DeliveryFailed`` in the energy
replies' code. The ``Link`` over HTTP is :class:`~plaza.api.energy.link.HttpLink`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from plaza.clock import Clock
from plaza.crypto import EncryptionPublicKey, Identity
from plaza.energy.envelope import LETTERS, ModuleKey
from plaza.jobs import JobQueue
from plaza.market.auth.outbox import AddressOf, Link, OnRefused
from plaza.market.auth.outbox import Outbox as LetterOutbox

__all__ = ["DELIVER_JOB", "EnergyOutbox", "LetterSender"]

#: The job that delivers an energy letter (the name queued letters carry on disk).
DELIVER_JOB = "energy.deliver"


class LetterSender(Protocol):
    """What a module's use cases send letters through (:class:`EnergyOutbox`): a letter
    leaves after the change is stored, each ``key`` at most once."""

    def send(
        self,
        *,
        path: str,
        recipient: ModuleKey,
        audience: str,
        body: Mapping[str, Any],
        key: str | None = None,
    ) -> None:
        """Queue a letter to ``audience`` (at ``path`` of wherever it is when it leaves)."""
        ...


def _encryption_key(text: str) -> EncryptionPublicKey:
    return ModuleKey.from_text(text).encryption


class EnergyOutbox:
    """One module's outgoing letters, delivered by :data:`DELIVER_JOB` jobs on its queue."""

    def __init__(
        self,
        queue: JobQueue,
        link: Link,
        *,
        sender: Callable[[], str],
        identity: Callable[[], Identity],
        clock: Clock,
        address: AddressOf,
        on_refused: OnRefused | None = None,
    ) -> None:
        """``address(audience)``: where that recipient is served now (``None``: gone)."""
        self._letters = LetterOutbox(
            queue,
            link,
            letters=LETTERS,
            sender=sender,
            identity=identity,
            clock=clock,
            on_refused=on_refused,
            job=DELIVER_JOB,
            recipient_key=_encryption_key,
            address=address,
        )

    def send(
        self,
        *,
        path: str,
        recipient: ModuleKey,
        audience: str,
        body: Mapping[str, Any],
        key: str | None = None,
    ) -> None:
        """Queue a letter; with ``key``, a second send under the same key is the same letter."""
        self._letters.send(
            path=path, recipient=recipient.to_text(), audience=audience, body=body, key=key
        )

    def handlers(self) -> dict[str, Callable[[Mapping[str, Any]], None]]:
        return self._letters.handlers()

    def deliver(self, payload: Mapping[str, Any]) -> None:
        """The job: find the recipient, seal the letter now and post it."""
        self._letters.deliver(payload)
