"""The questions between energy modules: the market's, in the energy letters and documents.

Two owner rules need an answer from the module that owns the facts: the marketplace asks
the user module whether an owner onboarded an asset (``/onboarded``, on ``/register``);
the user module asks the marketplace which contracts a device has to pay (``/unpaid``, on
``/fund``). One round trip each (:class:`plaza.market.auth.questions.Questions`: a sealed
letter with a fresh ``ask``, answered by a signed document repeating it). This module
names the energy formats and turns the market's refusals into the energy replies' codes;
who asks whom is named in :mod:`plaza.energy.peers`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plaza.crypto import Identity
from plaza.energy.envelope import DOCUMENTS, LETTERS, Letter, ModuleKey
from plaza.energy.errors import InvalidMessage, PeerFailed
from plaza.market.auth import DeliveryFailed, MalformedSignedRequest
from plaza.market.auth.outbox import Link
from plaza.market.auth.questions import Questions

__all__ = ["answer", "ask"]

_QUESTIONS = Questions(LETTERS, DOCUMENTS)


def ask(
    link: Link,
    *,
    url: str,
    path: str,
    body: Mapping[str, Any],
    sender: str,
    identity: Identity,
    recipient: ModuleKey,
    audience: str,
    now_ms: int,
) -> dict[str, Any]:
    """Post ``body`` as a question to ``url + path``; the answer's message, checked.

    :class:`PeerFailed` when the peer refuses, cannot be reached, or answers with a
    document that is not signed by ``recipient`` or not an answer to this question.
    """
    try:
        return _QUESTIONS.ask(
            link,
            url=url,
            path=path,
            body=body,
            sender=sender,
            identity=identity,
            recipient=recipient.encryption,
            signer=recipient.signing,
            audience=audience,
            now_ms=now_ms,
        )
    except MalformedSignedRequest as error:
        raise InvalidMessage(error.reason) from None
    except DeliveryFailed as error:
        if isinstance(error, PeerFailed):
            raise
        raise PeerFailed(error.peer, error.path, error.reason, refused=error.refused) from None


def answer(letter: Letter, message: Mapping[str, Any], identity: Identity) -> dict[str, Any]:
    """The reply to a question: ``{"answer": <message signed by identity, with its ask>}``."""
    try:
        return _QUESTIONS.answer(letter, message, identity)
    except MalformedSignedRequest as error:
        raise InvalidMessage(error.reason) from None
