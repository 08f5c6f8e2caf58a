"""A question one module asks another while it works, and the signed answer it waits for.

Most letters go one way through an outbox (:mod:`plaza.energy.link`). Two rules need an
answer before the asking module can decide, and the module that owns the facts gives it:
the marketplace asks the user module whether an owner onboarded an asset (``/onboarded``,
on ``/register``); the user module asks the marketplace which contracts a device has to
pay (``/unpaid``, on ``/fund``). One round trip each: the question is a sealed letter
carrying a fresh ``ask`` nonce, and the reply's ``answer`` is a document the answering
module signed (:func:`~plaza.energy.envelope.sign_document`) that repeats the ``ask``, so
neither a forged nor a replayed reply is believed.

``USER_MODULE`` is the user module's name in letters between modules (sender and
audience); the marketplace is ``marketplace``, as everywhere.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from plaza.crypto import Identity
from plaza.energy.envelope import Letter, ModuleKey, seal_letter, sign_document, verify_document
from plaza.energy.errors import EnergyError, InvalidMessage, PeerFailed
from plaza.energy.link import Link

__all__ = ["ASK", "USER_MODULE", "answer", "ask"]

#: The user module's sender name and audience in letters between modules.
USER_MODULE = "usermodule"
#: What a question's ``ask`` looks like: 32 hex digits, fresh for every question.
ASK = re.compile(r"[0-9a-f]{32}")


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
    question = secrets.token_hex(16)
    document = seal_letter(
        {**body, "ask": question},
        sender=sender,
        identity=identity,
        recipient=recipient,
        audience=audience,
        now_ms=now_ms,
    )
    reply = link.post(url, path, document)
    try:
        message = verify_document(reply.get("answer"), recipient.signing)
    except EnergyError as error:
        raise PeerFailed(url, path, f"no valid answer: {error.message}", refused=True) from None
    if message.get("ask") != question:
        raise PeerFailed(url, path, "the answer is not to this question", refused=True)
    return message


def answer(letter: Letter, message: Mapping[str, Any], identity: Identity) -> dict[str, Any]:
    """The reply to a question: ``{"answer": <message signed by identity, with its ask>}``."""
    question = letter.body.get("ask")
    if not isinstance(question, str) or not ASK.fullmatch(question):
        raise InvalidMessage("a question carries ask, 32 hex digits")
    return {"answer": sign_document({**message, "ask": question}, identity)}
