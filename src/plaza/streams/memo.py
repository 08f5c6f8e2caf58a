"""What a buyer's payment and a sensor's refund carry in their transfer's tag and data.

A direct payment (PEGASUS's way) is an ordinary transfer to the sensor's address;
its data says which stream it buys and the X25519 key the grant is to be sealed to
(PEGASUS: "the buyer sends a public key")::

    tag  = "plaza-streams-pay"
    data = 0x01 || channel_id 32 || reader_x25519 32

It makes no order in the marketplace, so a sensor refunds it; only ``plaza bench
streams``, which measures the channel layer, has it served. Every other purchase
pays a marketplace contract (:mod:`plaza.streams.market`). A refund (of either)
goes back to the paying address with the payment it answers and why::

    tag  = "plaza-streams-refund"
    data = 0x01 || payment_id 32 || reason (UTF-8)
"""

from __future__ import annotations

from dataclasses import dataclass

from plaza.crypto import EncryptionPublicKey
from plaza.streams.errors import InvalidMemo

__all__ = ["PAYMENT_TAG", "REFUND_TAG", "PaymentMemo", "RefundMemo"]

PAYMENT_TAG = b"plaza-streams-pay"
REFUND_TAG = b"plaza-streams-refund"
_VERSION = 1
_REASON_LIMIT = 400


@dataclass(frozen=True, slots=True)
class PaymentMemo:
    """The stream a payment buys and the key its grant is sealed to."""

    channel_id: bytes
    reader: EncryptionPublicKey

    def encode(self) -> bytes:
        return bytes([_VERSION]) + self.channel_id + self.reader.raw

    @classmethod
    def decode(cls, data: bytes) -> PaymentMemo:
        if len(data) != 65 or data[0] != _VERSION:
            raise InvalidMemo("a payment's data is 0x01, a channel id and an X25519 key")
        return cls(data[1:33], EncryptionPublicKey(data[33:]))


@dataclass(frozen=True, slots=True)
class RefundMemo:
    """Which payment a refund returns, and why."""

    payment_id: bytes
    reason: str

    def encode(self) -> bytes:
        reason = self.reason.encode()[:_REASON_LIMIT].decode(errors="ignore")
        return bytes([_VERSION]) + self.payment_id + reason.encode()

    @classmethod
    def decode(cls, data: bytes) -> RefundMemo:
        if len(data) < 33 or data[0] != _VERSION:
            raise InvalidMemo("a refund's data is 0x01, a payment id and a reason")
        try:
            reason = data[33:].decode()
        except UnicodeDecodeError:
            raise InvalidMemo("a refund's reason is UTF-8 text") from None
        return cls(data[1:33], reason)
