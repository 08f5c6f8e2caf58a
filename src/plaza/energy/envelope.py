"""How the energy modules talk: sign the letter, then seal it to its one recipient.

The seed signs with RSA-2048 and encrypts with the recipient's RSA key. Plaza
replaces both (the issue's "fix the seed's flaws"):

* a **letter** is canonical JSON (sorted keys, no spaces, integers only, so one
  letter has one encoding) naming the sender, its Ed25519 key, the audience (the
  recipient's id), the time and a random nonce around the body, signed with
  Ed25519 under the domain ``plaza-energy-letter-v1``;
* the signed letter is **sealed** to the recipient's X25519 key (an anonymous
  sealed box) and travels as the seed's ``{"encrypted": "<base64>"}``.

The recipient opens it, checks the audience is itself (a letter cannot be
forwarded to another module), that it is fresh (``MAX_SKEW_MS``), that its nonce
is new (a replay changes nothing), and that the signature is by the key it knows
for the sender. A module's public keys travel as one :class:`ModuleKey` text,
``ed25519:<hex>/x25519:<hex>``, in the seed's ``publicKey`` fields.

Documents that must stay verifiable afterwards (the digital twin's entries, a
contract) are :func:`sign_document`-ed: ``{"message", "signature", "signer"}``,
the shape the seed's twin viewer shows.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, Self

from plaza.crypto import (
    BadSignature,
    EncryptionPublicKey,
    Identity,
    InvalidKey,
    PublicKey,
)
from plaza.energy.errors import InvalidMessage, NotAuthenticated
from plaza.market.auth.envelope import open_body, seal_body
from plaza.market.auth.errors import EnvelopeNotOpened, MalformedEnvelope

__all__ = [
    "MAX_SKEW_MS",
    "Letter",
    "ModuleKey",
    "NonceCache",
    "Nonces",
    "canonical_json",
    "open_letter",
    "seal_letter",
    "sign_document",
    "verify_document",
]

#: How far a letter's time may be from the recipient's clock, either way.
MAX_SKEW_MS = 5 * 60 * 1000
_LETTER_DOMAIN = b"plaza-energy-letter-v1\x00"
_DOCUMENT_DOMAIN = b"plaza-energy-document-v1\x00"
_KEY_TEXT = re.compile(r"ed25519:([0-9a-f]{64})/x25519:([0-9a-f]{64})")
_MAX_LETTER = 256 * 1024


def canonical_json(value: object) -> bytes:
    """The one encoding a signature covers; floats are refused (money is integers)."""
    _refuse_floats(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _refuse_floats(value: object) -> None:
    if isinstance(value, float):
        raise InvalidMessage("numbers must be integers (amounts in Wh, prices in base units)")
    if isinstance(value, Mapping):
        for item in value.values():
            _refuse_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_floats(item)


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


@dataclass(frozen=True, slots=True)
class Letter:
    """An opened, verified letter."""

    sender: str
    key: PublicKey
    audience: str
    issued_at_ms: int
    body: dict[str, Any] = field(repr=False)


class Nonces(Protocol):
    """Where a module remembers the nonces of letters it opened."""

    def admit(self, nonce: str, issued_at_ms: int, now_ms: int) -> bool:
        """Remember ``nonce``; False if it was (or may have been) seen already."""
        ...


class NonceCache:
    """Nonces seen within the freshness window; a second letter with one is a replay.

    When the cache is full of fresh nonces (a flood), the oldest is forgotten but
    its time becomes the **floor**: letters issued at or before it are refused from
    then on, so forgetting a nonce never lets its letter be replayed.
    """

    def __init__(self, *, capacity: int = 100_000) -> None:
        self._seen: OrderedDict[str, int] = OrderedDict()
        self._capacity = capacity
        self._floor_ms = -1
        self._lock = threading.Lock()

    def admit(self, nonce: str, issued_at_ms: int, now_ms: int) -> bool:
        """Remember ``nonce``; False if it was seen already (or may have been)."""
        with self._lock:
            horizon = now_ms - 2 * MAX_SKEW_MS
            while self._seen and next(iter(self._seen.values())) < horizon:
                self._seen.popitem(last=False)
            if nonce in self._seen or issued_at_ms <= self._floor_ms:
                return False
            if len(self._seen) >= self._capacity:
                _, forgotten = self._seen.popitem(last=False)
                self._floor_ms = max(self._floor_ms, forgotten)
            self._seen[nonce] = issued_at_ms
            return True


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
    letter = {
        "sender": sender,
        "key": identity.public_key.raw.hex(),
        "audience": audience,
        "issuedAt": now_ms,
        "nonce": secrets.token_hex(16),
        "body": dict(body),
    }
    signature = identity.signing.sign(_LETTER_DOMAIN + canonical_json(letter))
    signed = canonical_json({**letter, "signature": signature.hex()})
    return seal_body(signed, recipient.encryption).document


def open_letter(
    document: bytes,
    *,
    identity: Identity,
    audience: str,
    now_ms: int,
    nonces: Nonces,
    known_key: Callable[[str], PublicKey | None],
    introduce: bool = False,
) -> Letter:
    """Open, check and verify a letter sent to ``audience``.

    ``known_key`` gives the key on record for a sender; a sender without one is
    refused unless ``introduce`` (registration: the letter introduces its key,
    which its signature then proves the sender holds).
    """
    if len(document) > _MAX_LETTER:
        raise InvalidMessage(f"a letter is at most {_MAX_LETTER} bytes")
    try:
        opened = open_body(document, identity.encryption)
    except MalformedEnvelope as error:
        raise InvalidMessage(f'expected {{"encrypted": "<base64>"}}: {error}') from None
    except EnvelopeNotOpened:
        raise NotAuthenticated("the envelope was not sealed to this module") from None
    fields = _parse_letter(opened.body)
    key = _sender_key(fields, known_key, introduce=introduce)
    signature = bytes.fromhex(fields.pop("signature"))
    try:
        key.verify(_LETTER_DOMAIN + canonical_json(fields), signature)
    except BadSignature:
        raise NotAuthenticated(f"the signature is not {fields['sender']}'s") from None
    if fields["audience"] != audience:
        raise NotAuthenticated(f"the letter is addressed to {fields['audience']!r}")
    issued = fields["issuedAt"]
    if abs(now_ms - issued) > MAX_SKEW_MS:
        raise NotAuthenticated("the letter is too old or from the future (check clocks)")
    if not nonces.admit(fields["nonce"], issued, now_ms):
        raise NotAuthenticated("the letter was delivered before (replay)")
    return Letter(fields["sender"], key, audience, issued, fields["body"])


def _parse_letter(plaintext: bytes) -> dict[str, Any]:
    try:
        fields = json.loads(plaintext)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidMessage("the sealed letter is not JSON") from None
    expected = {"sender", "key", "audience", "issuedAt", "nonce", "body", "signature"}
    if not isinstance(fields, dict) or set(fields) != expected:
        raise InvalidMessage(f"a letter has exactly the fields {sorted(expected)}")
    text_fields = ("sender", "key", "audience", "nonce", "signature")
    if not all(isinstance(fields[name], str) for name in text_fields):
        raise InvalidMessage("sender, key, audience, nonce and signature are strings")
    if not isinstance(fields["issuedAt"], int) or not isinstance(fields["body"], dict):
        raise InvalidMessage("issuedAt is an integer and body an object")
    if not re.fullmatch(r"[0-9a-f]{128}", fields["signature"]):
        raise InvalidMessage("signature is 64 bytes of hex")
    return fields


def _sender_key(
    fields: Mapping[str, Any], known_key: Callable[[str], PublicKey | None], *, introduce: bool
) -> PublicKey:
    try:
        claimed = PublicKey(bytes.fromhex(fields["key"]))
    except (ValueError, InvalidKey):
        raise InvalidMessage("key is not an Ed25519 public key in hex") from None
    known = known_key(fields["sender"])
    if known is None:
        if introduce:
            return claimed
        raise NotAuthenticated(f"{fields['sender']!r} is not known here (register first)")
    if known != claimed:
        raise NotAuthenticated(f"{fields['sender']!r} is registered with another key")
    return known


def sign_document(message: Mapping[str, Any], identity: Identity) -> dict[str, Any]:
    """A document that proves, later and to anyone, that ``identity`` said ``message``."""
    signature = identity.signing.sign(_DOCUMENT_DOMAIN + canonical_json(message))
    return {
        "message": dict(message),
        "signature": signature.hex(),
        "signer": identity.public_key.raw.hex(),
    }


def verify_document(document: object, signer: PublicKey) -> dict[str, Any]:
    """The message of a :func:`sign_document` document, if ``signer`` signed it."""
    if not isinstance(document, Mapping) or set(document) != {"message", "signature", "signer"}:
        raise InvalidMessage("a signed document has exactly message, signature and signer")
    message, signature = document["message"], document["signature"]
    if not isinstance(message, dict) or not isinstance(signature, str):
        raise InvalidMessage("message is an object and signature hex")
    if document["signer"] != signer.raw.hex():
        raise NotAuthenticated("the document is signed by another key")
    try:
        signer.verify(_DOCUMENT_DOMAIN + canonical_json(message), bytes.fromhex(signature))
    except (BadSignature, ValueError):
        raise NotAuthenticated("the document's signature does not verify") from None
    return message
