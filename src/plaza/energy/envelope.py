"""How the energy modules talk: the market's letters, under the energy seed's domain.

The seed signs with RSA-2048 and encrypts with the recipient's RSA key. Plaza
replaces both with the market's second wire shape of a signed request,
:mod:`plaza.market.auth.letters`: canonical JSON naming the sender, its Ed25519
key, the audience (the recipient's module name), the time and a nonce around the
body, signed under the domain ``plaza-energy-letter-v1`` and sealed to the
recipient's X25519 key as the seed's ``{"encrypted": "<base64>"}``. The checks,
the nonce store (:class:`~plaza.market.auth.NonceStore`) and the freshness window
are the market's; this module only names the domain and turns the market's
refusals into the energy replies' two codes (``invalid_message`` for a letter
that is not one, ``not_authenticated`` for one whose sender is not proven).

A module's public keys travel as one :class:`ModuleKey` text,
``ed25519:<hex>/x25519:<hex>``, in the seed's ``publicKey`` fields.

Documents that must stay verifiable afterwards (the digital twin's entries, a
contract) are :func:`sign_document`-ed: the market's signed documents
(:mod:`plaza.market.auth.documents`) under the domain ``plaza-energy-document-v1``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Self

from plaza.crypto import EncryptionPublicKey, Identity, InvalidKey, PublicKey
from plaza.energy.errors import InvalidMessage, NotAuthenticated
from plaza.market.auth import (
    AuthError,
    BadRequestSignature,
    DocumentFormat,
    EnvelopeNotOpened,
    MalformedEnvelope,
    MalformedSignedRequest,
    NonceStore,
    ReplayedRequest,
    StaleRequest,
    UnknownParticipant,
)
from plaza.market.auth.letters import Letter, LetterFormat
from plaza.market.auth.letters import canonical_json as _market_json

__all__ = [
    "DOCUMENTS",
    "LETTERS",
    "MAX_SKEW_MS",
    "Letter",
    "ModuleKey",
    "canonical_json",
    "dumps",
    "open_letter",
    "seal_letter",
    "sign_document",
    "verify_document",
]

#: The energy modules' letters: the seed's wire, the market's mechanism.
LETTERS = LetterFormat("plaza-energy-letter-v1")
#: How far a letter's time may be from the recipient's clock, either way.
MAX_SKEW_MS = LETTERS.window_ms
#: The energy modules' signed documents (twin entries, contracts, answers).
DOCUMENTS = DocumentFormat("plaza-energy-document-v1")
_KEY_TEXT = re.compile(r"ed25519:([0-9a-f]{64})/x25519:([0-9a-f]{64})")


def canonical_json(value: object) -> bytes:
    """The one encoding a signature covers; floats are refused (money is integers)."""
    with _as_energy_refusal():
        return _market_json(value)


def dumps(value: Mapping[str, Any]) -> str:
    """The one text of a JSON state, so equal states compare equal where they are stored."""
    return canonical_json(value).decode()


@dataclass(frozen=True, slots=True)
class ModuleKey:
    """A module's two public keys: Ed25519 to verify it, X25519 to seal to it."""

    signing: PublicKey
    encryption: EncryptionPublicKey

    @classmethod
    def of(cls, identity: Identity) -> Self:
        return cls(identity.public_key, identity.encryption.public_key)

    @classmethod
    def from_text(cls, text: object) -> Self:
        if not isinstance(text, str) or (found := _KEY_TEXT.fullmatch(text)) is None:
            raise InvalidMessage("a public key must read ed25519:<64 hex>/x25519:<64 hex>")
        try:
            return cls(
                PublicKey(bytes.fromhex(found[1])), EncryptionPublicKey(bytes.fromhex(found[2]))
            )
        except InvalidKey as error:
            raise InvalidMessage(f"invalid public key: {error}") from None

    def to_text(self) -> str:
        return f"ed25519:{self.signing.raw.hex()}/x25519:{self.encryption.raw.hex()}"

    def __str__(self) -> str:
        return self.to_text()


def seal_letter(
    body: Mapping[str, Any],
    *,
    sender: str,
    identity: Identity,
    recipient: ModuleKey,
    audience: str,
    now_ms: int,
) -> bytes:
    """The JSON document to POST: ``{"encrypted": …}`` only ``recipient`` can open."""
    with _as_energy_refusal():
        return LETTERS.seal(
            body,
            sender=sender,
            key=identity.signing,
            recipient=recipient.encryption,
            audience=audience,
            now_ms=now_ms,
        )


def open_letter(
    document: bytes,
    *,
    identity: Identity,
    audience: str,
    now_ms: int,
    nonces: NonceStore,
    known_key: Callable[[str], PublicKey | None],
    introduce: bool = False,
) -> Letter:
    """Open, check and verify a letter sent to ``audience`` (see
    :meth:`~plaza.market.auth.letters.LetterFormat.open`), refusing as the energy replies do."""
    with _as_energy_refusal():
        return LETTERS.open(
            document,
            key=identity.encryption,
            audience=audience,
            now_ms=now_ms,
            nonces=nonces,
            known_key=known_key,
            introduce=introduce,
        )


@contextmanager
def _as_energy_refusal() -> Iterator[None]:
    """The market's refusal of a letter, in the energy replies' words and codes."""
    try:
        yield
    except AuthError as error:
        raise _refusal(error) from None


def _refusal(error: AuthError) -> InvalidMessage | NotAuthenticated:
    if isinstance(error, MalformedEnvelope):
        return InvalidMessage(f'expected {{"encrypted": "<base64>"}}: {error.reason}')
    if isinstance(error, MalformedSignedRequest):
        return InvalidMessage(error.reason)
    return NotAuthenticated(_why_not_authenticated(error))


def _why_not_authenticated(error: AuthError) -> str:
    if isinstance(error, EnvelopeNotOpened):
        return "the envelope was not sealed to this module"
    if isinstance(error, UnknownParticipant):
        return f"{error.participant_id!r} is not known here (register first)"
    if isinstance(error, BadRequestSignature):
        return f"the signature is not {error.participant_id}'s"
    if isinstance(error, StaleRequest):
        return "the letter is too old or from the future (check clocks)"
    if isinstance(error, ReplayedRequest):
        return "the letter was delivered before (replay)"
    return str(error)  # wrong audience, another key: the market's words say it


def sign_document(message: Mapping[str, Any], identity: Identity) -> dict[str, Any]:
    """A document that proves, later and to anyone, that ``identity`` said ``message``."""
    with _as_energy_refusal():
        return DOCUMENTS.sign(message, identity)


def verify_document(document: object, signer: PublicKey) -> dict[str, Any]:
    """The message of a :func:`sign_document` document, if ``signer`` signed it."""
    with _as_energy_refusal():
        return DOCUMENTS.verify(document, signer)
