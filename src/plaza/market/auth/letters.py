"""Letters: the signed-request mechanism in its second wire shape, for peers that post documents.

A signed request (:mod:`.signing`) authenticates an HTTP call by headers over a
canonical text of the call. Some peers talk in documents instead: the energy
seed's modules POST ``{"encrypted": …}`` to each other and nothing else. A
*letter* carries the same claims inside the document, so both shapes are one
mechanism with the same checks, the same nonce store and the same errors:

* the letter is canonical JSON (:func:`canonical_json`: sorted keys, no spaces,
  integers only, so one letter has one encoding) of ``sender``, its Ed25519
  ``key`` in hex, the ``audience`` (the recipient's name), ``issuedAt`` (ms),
  a random ``nonce`` and the ``body``; its ``signature`` is Ed25519 over that
  text after the format's domain, so a letter is never valid as any other
  signed text (and letters of one format never as another's);
* the signed letter is sealed to the recipient's X25519 key
  (:func:`~plaza.market.auth.envelope.seal_body`): only the recipient reads it,
  and the sender stays anonymous to everyone else.

The recipient opens it and refuses, in this order: an envelope that is not one
or not sealed to it, a malformed letter, an unknown sender (unless the letter
introduces its key, as a registration does) or one known under another key, a
bad signature, another audience, a time outside the window (:func:`check_fresh`),
then a nonce seen before (:func:`remember_nonce`, only after the signature
verified, so nobody can burn another's nonces).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from plaza.crypto import (
    BadSignature,
    EncryptionKey,
    EncryptionPublicKey,
    InvalidKey,
    PublicKey,
    SigningKey,
)
from plaza.market.auth.envelope import open_body, seal_body
from plaza.market.auth.errors import (
    BadRequestSignature,
    MalformedSignedRequest,
    SenderKeyMismatch,
    UnknownParticipant,
    WrongAudience,
)
from plaza.market.auth.ports import NonceStore
from plaza.market.auth.signing import DEFAULT_WINDOW_MS, NONCE_BYTES, check_fresh, remember_nonce

__all__ = ["MAX_LETTER_BYTES", "Letter", "LetterFormat", "canonical_json"]

#: The largest sealed letter a recipient reads.
MAX_LETTER_BYTES = 256 * 1024
_FIELDS = frozenset({"sender", "key", "audience", "issuedAt", "nonce", "body", "signature"})
_TEXT_FIELDS = ("sender", "key", "audience", "nonce", "signature")
_SIGNATURE = re.compile(r"[0-9a-f]{128}")
_NONCE = re.compile(rf"(?:[0-9a-f]{{2}}){{{NONCE_BYTES},64}}")

KnownKey = Callable[[str], PublicKey | None]


def canonical_json(value: object) -> bytes:
    """The one encoding a signature covers; floats are refused (money is integers)."""
    _refuse_floats(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _refuse_floats(value: object) -> None:
    if isinstance(value, float):
        raise MalformedSignedRequest("numbers must be integers (amounts and prices are)")
    if isinstance(value, Mapping):
        for item in value.values():
            _refuse_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_floats(item)


@dataclass(frozen=True, slots=True)
class Letter:
    """An opened, verified letter."""

    sender: str
    key: PublicKey
    audience: str
    issued_at_ms: int
    body: dict[str, Any] = field(repr=False)


class LetterFormat:
    """One family of letters: its signature domain, freshness window and size bound."""

    def __init__(
        self, domain: str, *, window_ms: int = DEFAULT_WINDOW_MS, max_bytes: int = MAX_LETTER_BYTES
    ) -> None:
        if not domain or not domain.isprintable():
            raise ValueError("a letter domain is a non-empty printable string")
        self._domain = domain.encode() + b"\x00"
        self.window_ms = window_ms
        self.max_bytes = max_bytes

    def seal(
        self,
        body: Mapping[str, Any],
        *,
        sender: str,
        key: SigningKey,
        recipient: EncryptionPublicKey,
        audience: str,
        now_ms: int,
    ) -> bytes:
        """The JSON document to POST: ``{"encrypted": …}`` only ``recipient`` can open."""
        nonce = secrets.token_hex(NONCE_BYTES)
        signed = self.sign(
            body, sender=sender, key=key, audience=audience, now_ms=now_ms, nonce=nonce
        )
        return seal_body(signed, recipient).document

    def sign(
        self,
        body: Mapping[str, Any],
        *,
        sender: str,
        key: SigningKey,
        audience: str,
        now_ms: int,
        nonce: str,
    ) -> bytes:
        """The signed letter, in its one encoding: what :meth:`seal` seals.

        Public so that the published test vectors (``docs/energy.md``) are this very
        code's bytes for a chosen ``nonce``; letters that travel take a random one.
        """
        letter = {
            "sender": sender,
            "key": key.public_key.raw.hex(),
            "audience": audience,
            "issuedAt": now_ms,
            "nonce": nonce,
            "body": dict(body),
        }
        signature = key.sign(self._domain + canonical_json(letter))
        return canonical_json({**letter, "signature": signature.hex()})

    def open(
        self,
        document: bytes,
        *,
        key: EncryptionKey,
        audience: str,
        now_ms: int,
        nonces: NonceStore,
        known_key: KnownKey,
        introduce: bool = False,
    ) -> Letter:
        """Open, check and verify a letter sent to ``audience``.

        ``known_key`` gives the key on record for a sender; a sender without one is
        refused unless ``introduce`` (registration: the letter introduces its key,
        which its signature then proves the sender holds).
        """
        if len(document) > self.max_bytes:
            raise MalformedSignedRequest(f"a letter is at most {self.max_bytes} bytes")
        fields = _parse(open_body(document, key).body)
        sender_key = _sender_key(fields, known_key, introduce=introduce)
        signature = bytes.fromhex(fields.pop("signature"))
        try:
            sender_key.verify(self._domain + canonical_json(fields), signature)
        except BadSignature:
            raise BadRequestSignature(fields["sender"]) from None
        if fields["audience"] != audience:
            raise WrongAudience(fields["audience"], audience)
        issued = fields["issuedAt"]
        check_fresh(issued, now_ms, self.window_ms)
        remember_nonce(
            nonces,
            fields["sender"],
            fields["nonce"],
            timestamp_ms=issued,
            now_ms=now_ms,
            window_ms=self.window_ms,
        )
        return Letter(fields["sender"], sender_key, audience, issued, fields["body"])


def _parse(plaintext: bytes) -> dict[str, Any]:
    try:
        fields = json.loads(plaintext)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, too deep, a huge number
        raise MalformedSignedRequest("the sealed letter is not JSON") from None
    if not isinstance(fields, dict) or set(fields) != _FIELDS:
        raise MalformedSignedRequest(f"a letter has exactly the fields {sorted(_FIELDS)}")
    if not all(isinstance(fields[name], str) for name in _TEXT_FIELDS):
        raise MalformedSignedRequest("sender, key, audience, nonce and signature are strings")
    issued = fields["issuedAt"]
    if (
        isinstance(issued, bool)
        or not isinstance(issued, int)
        or not isinstance(fields["body"], dict)
    ):
        raise MalformedSignedRequest("issuedAt is an integer and body an object")
    if not _SIGNATURE.fullmatch(fields["signature"]):
        raise MalformedSignedRequest("signature is 64 bytes of hex")
    if not _NONCE.fullmatch(fields["nonce"]):
        raise MalformedSignedRequest(f"nonce is {NONCE_BYTES} to 64 bytes of lower-case hex")
    return fields


def _sender_key(fields: Mapping[str, Any], known_key: KnownKey, *, introduce: bool) -> PublicKey:
    try:
        claimed = PublicKey(bytes.fromhex(fields["key"]))
    except (ValueError, InvalidKey):
        raise MalformedSignedRequest("key is not an Ed25519 public key in hex") from None
    sender = fields["sender"]
    known = known_key(sender)
    if known is None:
        if introduce:
            return claimed
        raise UnknownParticipant(sender)
    if known != claimed:
        raise SenderKeyMismatch(sender)
    return known
