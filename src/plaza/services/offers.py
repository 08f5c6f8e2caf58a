"""The 402 gateway's signed offers and receipts (``plaza service gateway``).

An HTTP request that comes without payment is answered ``402 Payment Required``
with an :class:`Offer`: the price, the address to hold it for, the hashlock of a
fresh gateway secret, a deadline, and the digest of *that* request, signed by the
key of the paid address. The client holds the price with the hashlock and deadline
and sends the request again with the proof ``Payment-Proof: <offer id>:<hold
message id>``; the gateway forwards it only if the hold is open, pays it exactly
as offered, and the request's digest is the offer's; an offer pays for one request,
once. A successful upstream answer releases the hold with the secret; a failed one
refunds it. Either way the answer carries a signed :class:`Receipt`::

    request_digest = BLAKE2b-256(method_len u8 || method || target_len u32 || target
                                 || body_len u32 || body, person = "plaza-gw-request")
    offer_signed   = "plaza-gw-offer-v1" || offer_id 16 || request_digest 32
                     || hashlock 32 || price u64 || deadline_ms u64
    receipt_signed = "plaza-gw-receipt-v1" || offer_id 16 || hold_id 32
                     || request_digest 32 || status u16 || response_digest 32 || paid u8

``target`` is the raw path with its query (``/v1/forecast?place=Torino``).
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, replace
from typing import Any, Self

from plaza.crypto import Address, SigningKey, blake2b, verify_signature
from plaza.encoding import Writer
from plaza.services.errors import InvalidQuote

__all__ = ["Offer", "Receipt", "request_digest"]

OFFER_DOMAIN = b"plaza-gw-offer-v1"
RECEIPT_DOMAIN = b"plaza-gw-receipt-v1"


def request_digest(method: str, target: bytes, body: bytes) -> bytes:
    """What an offer is bound to: the method, the path with its query, and the body."""
    data = Writer().bytes8(method.upper().encode()).bytes32(target).bytes32(body).getvalue()
    return blake2b(data, person=b"plaza-gw-request")


class _Signed:
    """Hex-encoded JSON in and out, a base64 header form, and signature checks."""

    signer: bytes
    signature: bytes

    def signed_bytes(self) -> bytes:
        raise NotImplementedError

    def verify(self, pay_to: str) -> Self:
        """This, if signed by the key of ``pay_to``; :class:`InvalidQuote` otherwise."""
        if len(self.signer) != 32 or str(Address.from_public_key(self.signer)) != pay_to:
            raise InvalidQuote("it is not signed by the key of the paid address")
        if not verify_signature(self.signer, self.signed_bytes(), self.signature):
            raise InvalidQuote("its signature does not verify")
        return self

    def to_json(self) -> dict[str, Any]:
        return {k: v.hex() if isinstance(v, bytes) else v for k, v in asdict(self).items()}  # type: ignore[call-overload]  # subclasses are dataclasses

    def header(self) -> str:
        return base64.b64encode(json.dumps(self.to_json()).encode()).decode()


@dataclass(frozen=True, slots=True)
class Offer(_Signed):
    offer_id: bytes
    request_digest: bytes
    hashlock: bytes
    price: int
    deadline_ms: int
    pay_to: str
    signer: bytes = b""
    signature: bytes = b""

    def signed_bytes(self) -> bytes:
        writer = Writer().raw(OFFER_DOMAIN).raw(self.offer_id).raw(self.request_digest)
        return writer.raw(self.hashlock).u64(self.price).u64(self.deadline_ms).getvalue()

    def signed_by(self, key: SigningKey) -> Offer:
        unsigned = replace(self, signer=key.public_key.raw, signature=b"")
        return replace(unsigned, signature=key.sign(unsigned.signed_bytes()))

    @classmethod
    def from_header(cls, text: str) -> Offer:
        value = _decode_header(text)
        try:
            return cls(
                bytes.fromhex(value["offer_id"]),
                bytes.fromhex(value["request_digest"]),
                bytes.fromhex(value["hashlock"]),
                int(value["price"]),
                int(value["deadline_ms"]),
                str(value["pay_to"]),
                bytes.fromhex(value["signer"]),
                bytes.fromhex(value["signature"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidQuote(f"an offer field is missing or malformed: {error}") from None


@dataclass(frozen=True, slots=True)
class Receipt(_Signed):
    offer_id: bytes
    hold_id: bytes
    request_digest: bytes
    status: int
    response_digest: bytes
    paid: bool
    signer: bytes = b""
    signature: bytes = b""

    def signed_bytes(self) -> bytes:
        writer = Writer().raw(RECEIPT_DOMAIN).raw(self.offer_id).raw(self.hold_id)
        writer.raw(self.request_digest).u16(self.status).raw(self.response_digest)
        return writer.u8(1 if self.paid else 0).getvalue()

    def signed_by(self, key: SigningKey) -> Receipt:
        unsigned = replace(self, signer=key.public_key.raw, signature=b"")
        return replace(unsigned, signature=key.sign(unsigned.signed_bytes()))

    @classmethod
    def from_header(cls, text: str) -> Receipt:
        value = _decode_header(text)
        try:
            return cls(
                bytes.fromhex(value["offer_id"]),
                bytes.fromhex(value["hold_id"]),
                bytes.fromhex(value["request_digest"]),
                int(value["status"]),
                bytes.fromhex(value["response_digest"]),
                bool(value["paid"]),
                bytes.fromhex(value["signer"]),
                bytes.fromhex(value["signature"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidQuote(f"a receipt field is missing or malformed: {error}") from None


def _decode_header(text: str) -> dict[str, Any]:
    try:
        value = json.loads(base64.b64decode(text, validate=True))
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidQuote(f"not base64 JSON: {error}") from None
    if not isinstance(value, dict):
        raise InvalidQuote("not a JSON object")
    return value
