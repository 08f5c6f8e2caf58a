"""The keys of a call and what they encrypt (``docs/protocol.md``, "Calls").

Two secrets make a call's keys, one from each side:

* ``S``, the provider's: fresh per quote, its BLAKE2b-256 is the hold's hashlock, and
  the provider reveals it on the ledger to be paid;
* ``K``, the customer's side key: fresh per call, it travels only sealed to the
  provider's X25519 key inside the hold's data.

The result is encrypted under a key derived from both, so the release (which
publishes ``S`` to everyone) opens nothing for an observer, while the customer,
who holds ``K``, can decrypt the moment the provider is paid. Keys from ``K`` alone
name the result record (the locator: only the two parties can find it) and encrypt
a failed job's reason (so a refund's reason is no more public than the job)::

    result_key = BLAKE2b-256(S || call_id, key=K, person="plaza-call-key")
    locator    = BLAKE2b-256(call_id,      key=K, person="plaza-call-loc")
    reason_key = BLAKE2b-256(call_id,      key=K, person="plaza-call-why")
    sealed     = nonce 24 || XChaCha20-Poly1305(key, plaintext, AD, nonce)
    AD         = "plaza-call-result-v1" || call_id     (the result)
               = "plaza-call-reason-v1" || call_id     (a refund's reason)

A ciphertext's length is its plaintext's, so the request and the result are
:func:`padded` with spaces (insignificant after JSON) to a size class before they
are sealed: an observer learns a call's size class, not its input's or its
result's length.
"""

from __future__ import annotations

import secrets

import nacl.bindings
import nacl.exceptions

from plaza.crypto import blake2b
from plaza.services.errors import InvalidCallData

__all__ = [
    "CALL_ID_SIZE",
    "KEY_SIZE",
    "NONCE_SIZE",
    "RESULT_OVERHEAD",
    "RESULT_PREFIX",
    "locator",
    "open_reason",
    "open_result",
    "padded",
    "reason_key",
    "result_key",
    "seal_reason",
    "seal_result",
    "unwrap_result_record",
    "wrap_result_record",
]

CALL_ID_SIZE = 16
KEY_SIZE = 32
NONCE_SIZE = 24
_TAG_SIZE = 16
#: What a result record on the provider's channel starts with, before its locator.
RESULT_PREFIX = b"plaza-call-result"
_RESULT_AD = b"plaza-call-result-v1"
#: What a result record adds to its result: the prefix, the locator, a nonce and a tag.
RESULT_OVERHEAD = len(RESULT_PREFIX) + KEY_SIZE + NONCE_SIZE + _TAG_SIZE
_REASON_AD = b"plaza-call-reason-v1"


def _check(call_id: bytes, side_key: bytes) -> None:
    if len(call_id) != CALL_ID_SIZE:
        raise ValueError(f"a call id is {CALL_ID_SIZE} bytes, got {len(call_id)}")
    if len(side_key) != KEY_SIZE:
        raise ValueError(f"a side key is {KEY_SIZE} bytes, got {len(side_key)}")


def result_key(secret: bytes, side_key: bytes, call_id: bytes) -> bytes:
    """The key of the result: neither ``S`` alone (public once released) nor ``K`` opens it."""
    _check(call_id, side_key)
    if len(secret) != KEY_SIZE:
        raise ValueError(f"a provider secret is {KEY_SIZE} bytes, got {len(secret)}")
    return blake2b(secret + call_id, key=side_key, person=b"plaza-call-key")


def locator(side_key: bytes, call_id: bytes) -> bytes:
    """The result record's label: only the customer and the provider can compute it."""
    _check(call_id, side_key)
    return blake2b(call_id, key=side_key, person=b"plaza-call-loc")


def reason_key(side_key: bytes, call_id: bytes) -> bytes:
    _check(call_id, side_key)
    return blake2b(call_id, key=side_key, person=b"plaza-call-why")


#: The smallest size class; the others double it.
PAD_FLOOR = 256


def padded(data: bytes, *, limit: int) -> bytes:
    """``data`` with ASCII spaces appended up to its size class: the least of 256, 512,
    1024, ... bytes that holds it, but never past ``limit`` (what the carrier can take),
    and never shorter than ``data``. JSON ignores trailing spaces, and the encodings
    padded here end in JSON, so the receiver strips them or parses through them."""
    size = max(PAD_FLOOR, 1 << max(len(data) - 1, 0).bit_length())
    return data + b" " * (max(min(size, limit), len(data)) - len(data))


def _seal(key: bytes, plaintext: bytes, ad: bytes, nonce: bytes | None) -> bytes:
    nonce = secrets.token_bytes(NONCE_SIZE) if nonce is None else nonce
    if len(nonce) != NONCE_SIZE:
        raise ValueError(f"a nonce is {NONCE_SIZE} bytes, got {len(nonce)}")
    encrypt = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt
    return nonce + encrypt(plaintext, ad, nonce, key)


def _open(key: bytes, sealed: bytes, ad: bytes, what: str) -> bytes:
    if len(sealed) < NONCE_SIZE + _TAG_SIZE:
        raise InvalidCallData(f"the {what} is too short to be sealed")
    decrypt = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt
    try:
        return bytes(decrypt(sealed[NONCE_SIZE:], ad, sealed[:NONCE_SIZE], key))
    except nacl.exceptions.CryptoError:
        raise InvalidCallData(f"the {what} does not open with this call's keys") from None


def seal_result(key: bytes, call_id: bytes, result: bytes, *, nonce: bytes | None = None) -> bytes:
    """The result encrypted under ``result_key``; a random nonce unless one is given (the
    test vectors fix it). A restarted provider that runs a job again seals anew: the
    random nonce keeps two ciphertexts under one key safe."""
    return _seal(key, result, _RESULT_AD + call_id, nonce)


def open_result(key: bytes, call_id: bytes, sealed: bytes) -> bytes:
    return _open(key, sealed, _RESULT_AD + call_id, "result")


def seal_reason(
    side_key: bytes, call_id: bytes, reason: str, *, nonce: bytes | None = None
) -> bytes:
    """A failed job's reason, readable by the customer only: it rides on the refund."""
    return _seal(reason_key(side_key, call_id), reason.encode(), _REASON_AD + call_id, nonce)


def open_reason(side_key: bytes, call_id: bytes, sealed: bytes) -> str:
    plain = _open(reason_key(side_key, call_id), sealed, _REASON_AD + call_id, "reason")
    return plain.decode("utf-8", errors="replace")


def wrap_result_record(label: bytes, sealed: bytes) -> bytes:
    """A result record's content on the provider's public channel."""
    return RESULT_PREFIX + label + sealed


def unwrap_result_record(content: bytes) -> tuple[bytes, bytes]:
    """``(locator, sealed result)`` of a result record."""
    head = len(RESULT_PREFIX)
    if not content.startswith(RESULT_PREFIX) or len(content) < head + KEY_SIZE:
        raise InvalidCallData("not a call result record")
    return content[head : head + KEY_SIZE], content[head + KEY_SIZE :]
