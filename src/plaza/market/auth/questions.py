"""A question one agent asks another while it works, and the signed answer it waits for.

Most letters go one way through an outbox (:mod:`.outbox`). Some rules need an answer
before the asking agent can decide, and the agent that owns the facts gives it (the
energy marketplace asks the user module whether an owner onboarded an asset; the user
module asks the marketplace which contracts a device has to pay). One round trip each:
the question is a sealed letter (:class:`~.letters.LetterFormat`) carrying a fresh
``ask`` nonce, and the reply's ``answer`` is a document the answering agent signed
(:class:`~.documents.DocumentFormat`) that repeats the ``ask``, so neither a forged nor
a replayed reply is believed.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from plaza.crypto import EncryptionPublicKey, Identity, PublicKey
from plaza.market.auth.documents import DocumentFormat
from plaza.market.auth.errors import AuthError, DeliveryFailed, MalformedSignedRequest
from plaza.market.auth.letters import Letter, LetterFormat
from plaza.market.auth.outbox import Link

__all__ = ["ASK", "Questions"]

#: What a question's ``ask`` looks like: 32 hex digits, fresh for every question.
ASK = re.compile(r"[0-9a-f]{32}")


class Questions:
    """Questions in one family of letters, answered in one family of documents."""

    def __init__(self, letters: LetterFormat, documents: DocumentFormat) -> None:
        self._letters = letters
        self._documents = documents

    def ask(
        self,
        link: Link,
        *,
        url: str,
        path: str,
        body: Mapping[str, Any],
        sender: str,
        identity: Identity,
        recipient: EncryptionPublicKey,
        signer: PublicKey,
        audience: str,
        now_ms: int,
    ) -> dict[str, Any]:
        """Post ``body`` as a question to ``url + path``; the answer's message, checked.

        :class:`DeliveryFailed` when the peer refuses, cannot be reached, or answers with
        a document that is not signed by ``signer`` or not an answer to this question.
        """
        question = secrets.token_hex(16)
        document = self._letters.seal(
            {**body, "ask": question},
            sender=sender,
            key=identity.signing,
            recipient=recipient,
            audience=audience,
            now_ms=now_ms,
        )
        reply = link.post(url, path, document)
        try:
            message = self._documents.verify(reply.get("answer"), signer)
        except AuthError as error:
            why = f"no valid answer: {getattr(error, 'reason', error)}"
            raise DeliveryFailed(url, path, why, refused=True) from None
        if message.get("ask") != question:
            raise DeliveryFailed(url, path, "the answer is not to this question", refused=True)
        return message

    def answer(
        self, letter: Letter, message: Mapping[str, Any], identity: Identity
    ) -> dict[str, Any]:
        """The reply to a question: ``{"answer": <message signed by identity, with its ask>}``."""
        question = letter.body.get("ask")
        if not isinstance(question, str) or not ASK.fullmatch(question):
            raise MalformedSignedRequest("a question carries ask, 32 hex digits")
        return {"answer": self._documents.sign({**message, "ask": question}, identity)}
