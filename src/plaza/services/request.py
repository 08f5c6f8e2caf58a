"""The job a customer pays for, sealed to the provider inside the hold's data.

::

    request = version u8 (1) || call_id 16 || side_key 32 || service_len u8 || service
              || input (UTF-8 JSON, the rest)
    data    = crypto_box_seal(padded(request), provider's X25519 key)

A sealed box is anonymous and randomised, so the hold's data shows an observer
neither the job, nor the call id, nor the side key, nor which service was called;
the padding (spaces after the JSON, :func:`~plaza.services.sealing.padded`, dropped
on decoding) hides the input's length but for its size class.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from plaza.crypto import DecryptionFailed, EncryptionKey, EncryptionPublicKey, open_sealed, seal
from plaza.encoding import ByteReader, EncodingError, Writer
from plaza.services.errors import InvalidCallData
from plaza.services.sealing import CALL_ID_SIZE, KEY_SIZE, padded

__all__ = ["HOLD_TAG_PREFIX", "CallRequest", "decode_input", "encode_input", "hold_tag"]

_VERSION = 1
HOLD_TAG_PREFIX = b"plaza-call"
#: The most a padded request grows to: a hold's data is at most about 32 KiB, and the
#: largest request (16 KiB of input) fits 17 KiB.
_REQUEST_LIMIT = 17 * 1024


def hold_tag(payee: bytes) -> bytes:
    """The tag of a call's hold: the prefix and the payee's address, which the hold shows
    anyway. It is how a provider finds the holds to it (``find_by_tag``): the ledger
    indexes messages by tag, and an address's history lists only what moved its balance."""
    return HOLD_TAG_PREFIX + payee


def encode_input(value: Any) -> bytes:
    """A call's input as the request carries it: compact JSON."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def decode_input(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidCallData(f"the input is not JSON: {error}") from None


@dataclass(frozen=True, slots=True)
class CallRequest:
    """What the provider learns when it opens a hold: which call, which service, the input,
    and the customer's side key."""

    call_id: bytes
    side_key: bytes
    service: str
    input: bytes

    def __post_init__(self) -> None:
        if len(self.call_id) != CALL_ID_SIZE or len(self.side_key) != KEY_SIZE:
            raise InvalidCallData("a request's call id is 16 bytes and its side key 32")

    def __repr__(self) -> str:
        return f"CallRequest(call_id={self.call_id.hex()}, service={self.service!r})"

    def encode(self) -> bytes:
        writer = Writer().u8(_VERSION).raw(self.call_id).raw(self.side_key)
        return writer.bytes8(self.service.encode()).raw(self.input).getvalue()

    @classmethod
    def decode(cls, data: bytes) -> CallRequest:
        reader = ByteReader(data)
        try:
            version = reader.u8("version")
            if version != _VERSION:
                raise InvalidCallData(f"unknown request version {version}")
            call_id, side_key = reader.raw(CALL_ID_SIZE, "call id"), reader.raw(KEY_SIZE, "key")
            service = reader.bytes8("service").decode()
            return cls(call_id, side_key, service, reader.rest().rstrip(b" "))
        except (EncodingError, UnicodeDecodeError) as error:
            raise InvalidCallData(f"the request does not decode: {error}") from None

    def seal(self, provider: EncryptionPublicKey) -> bytes:
        return seal(provider, padded(self.encode(), limit=_REQUEST_LIMIT))

    @classmethod
    def open(cls, key: EncryptionKey, sealed: bytes) -> CallRequest:
        try:
            return cls.decode(open_sealed(key, sealed))
        except DecryptionFailed:
            raise InvalidCallData("the hold's data is not sealed to this provider") from None
