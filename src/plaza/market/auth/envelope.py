"""Sealed bodies: the seeds' ``{"encrypted": "<base64>"}`` envelope, with X25519 sealed boxes.

Requests are sealed to the marketplace's encryption key; replies and the
marketplace's own calls to a device are sealed to the participant's
(:attr:`~plaza.market.auth.model.Participant.encryption_key`). The same two
functions serve both directions.

**Sign, then seal.** A client signs the *plaintext* request (so the signature is
evidence of what the participant meant, and can be kept with the plaintext on
the record's twin), then seals the body. The server opens first, then verifies
the signature over what it opened. Sealed boxes are anonymous, so the signature
is what authenticates the sender; the signed audience stops the marketplace
from forwarding a signed request to another marketplace as if it came from the
participant.

Inside the box: one format byte (``0x01``), a 16-byte random salt, the body.
The signature's body digest is BLAKE2b-256 keyed with that salt, so the digest
in the signed headers, which travel in clear, does not let an eavesdropper
confirm a guessed plaintext (``{"energyAmount": 250}`` is easily guessed).
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field

from plaza.crypto import (
    DecryptionFailed,
    EncryptionKey,
    EncryptionPublicKey,
    blake2b,
    open_sealed,
    seal,
)
from plaza.market.auth.errors import EnvelopeNotOpened, MalformedEnvelope
from plaza.market.auth.signing import BodyDigest

__all__ = ["ENVELOPE_FIELD", "OpenedBody", "SealedBody", "is_sealed", "open_body", "seal_body"]

ENVELOPE_FIELD = "encrypted"
_FORMAT = b"\x01"
_SALT_SIZE = 16
_PERSON = b"plaza-body-salt"


def _salted_digest(salt: bytes, body: bytes) -> BodyDigest:
    return BodyDigest(blake2b(body, size=32, key=salt, person=_PERSON))


@dataclass(frozen=True, slots=True)
class SealedBody:
    """The envelope to send (JSON bytes) and the digest to sign the request with."""

    document: bytes
    digest: BodyDigest


@dataclass(frozen=True, slots=True)
class OpenedBody:
    """The plaintext and the digest to verify the signature with; the body stays out of repr."""

    body: bytes = field(repr=False)
    digest: BodyDigest


def seal_body(body: bytes, recipient: EncryptionPublicKey) -> SealedBody:
    """Seal ``body`` so that only ``recipient``'s owner can open it."""
    salt = secrets.token_bytes(_SALT_SIZE)
    ciphertext = seal(recipient, _FORMAT + salt + body)
    document = json.dumps({ENVELOPE_FIELD: base64.b64encode(ciphertext).decode("ascii")})
    return SealedBody(document.encode(), _salted_digest(salt, body))


def is_sealed(document: bytes) -> bool:
    """Whether a request body is an envelope (and must be opened) rather than plain JSON."""
    try:
        _ciphertext(document)
    except MalformedEnvelope:
        return False
    return True


def _ciphertext(document: bytes) -> bytes:
    try:
        parsed = json.loads(document)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, too deep, a huge number
        raise MalformedEnvelope("not JSON") from None
    if not isinstance(parsed, dict) or set(parsed) != {ENVELOPE_FIELD}:
        raise MalformedEnvelope(f'expected exactly {{"{ENVELOPE_FIELD}": "<base64>"}}')
    text = parsed[ENVELOPE_FIELD]
    if not isinstance(text, str):
        raise MalformedEnvelope(f"{ENVELOPE_FIELD} is not a string")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error, and a text that is not ASCII
        raise MalformedEnvelope(f"{ENVELOPE_FIELD} is not base64") from None


def open_body(document: bytes, key: EncryptionKey) -> OpenedBody:
    """Open an envelope sealed to ``key``; every cryptographic failure is one error."""
    ciphertext = _ciphertext(document)
    try:
        inner = open_sealed(key, ciphertext)
    except DecryptionFailed:
        raise EnvelopeNotOpened from None
    if inner[:1] != _FORMAT or len(inner) < 1 + _SALT_SIZE:
        raise MalformedEnvelope("unknown sealed body format")
    salt, body = inner[1 : 1 + _SALT_SIZE], inner[1 + _SALT_SIZE :]
    return OpenedBody(body, _salted_digest(salt, body))
