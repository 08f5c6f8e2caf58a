"""A provider's signed quote for one call: the price, the hashlock and the deadline.

The customer asks for a quote for a call id it chose; the provider answers with the
hashlock of a fresh secret and the deadline by which it promises a result, signed
by the key whose address the hold pays, so a customer holds only for terms the
payee itself stated::

    signed = "plaza-call-quote-v1" || call_id 16 || hashlock 32 || price u64
             || deadline_ms u64 || service_len u8 || service
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plaza.crypto import Address, SigningKey, verify_signature
from plaza.encoding import Writer
from plaza.services.errors import InvalidQuote
from plaza.services.sealing import CALL_ID_SIZE, KEY_SIZE

__all__ = ["QUOTE_DOMAIN", "Quote"]

QUOTE_DOMAIN = b"plaza-call-quote-v1"


@dataclass(frozen=True, slots=True)
class Quote:
    call_id: bytes
    service: str
    price: int
    hashlock: bytes
    deadline_ms: int
    provider: bytes  # the Ed25519 public key whose address is paid
    signature: bytes = b""

    def signed_bytes(self) -> bytes:
        writer = Writer().raw(QUOTE_DOMAIN).raw(self.call_id).raw(self.hashlock)
        writer.u64(self.price).u64(self.deadline_ms).bytes8(self.service.encode())
        return writer.getvalue()

    @classmethod
    def make(
        cls,
        signer: SigningKey,
        call_id: bytes,
        *,
        service: str,
        price: int,
        hashlock: bytes,
        deadline_ms: int,
    ) -> Quote:
        unsigned = cls(call_id, service, price, hashlock, deadline_ms, signer.public_key.raw)
        return cls(
            call_id,
            service,
            price,
            hashlock,
            deadline_ms,
            signer.public_key.raw,
            signer.sign(unsigned.signed_bytes()),
        )

    @property
    def pay_to(self) -> Address:
        return Address.from_public_key(self.provider)

    def verify(self, *, call_id: bytes, service: str, price: int, pay_to: str) -> Quote:
        """This quote if it is signed by ``pay_to``'s key and states the call asked for."""
        if len(self.provider) != KEY_SIZE or str(self.pay_to) != pay_to:
            raise InvalidQuote("it is not signed by the key of the service's payment address")
        if not verify_signature(self.provider, self.signed_bytes(), self.signature):
            raise InvalidQuote("its signature does not verify")
        if (self.call_id, self.service) != (call_id, service):
            raise InvalidQuote("it quotes another call")
        if self.price != price:
            raise InvalidQuote(f"it asks {self.price}, the service's price is {price}")
        if len(self.hashlock) != KEY_SIZE:
            raise InvalidQuote("its hashlock is not 32 bytes")
        return self

    def to_json(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id.hex(),
            "service": self.service,
            "price": self.price,
            "hashlock": self.hashlock.hex(),
            "deadline_ms": self.deadline_ms,
            "provider": self.provider.hex(),
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_json(cls, value: object) -> Quote:
        if not isinstance(value, dict):
            raise InvalidQuote("a quote is a JSON object")
        try:
            quote = cls(
                bytes.fromhex(value["call_id"]),
                str(value["service"]),
                int(value["price"]),
                bytes.fromhex(value["hashlock"]),
                int(value["deadline_ms"]),
                bytes.fromhex(value["provider"]),
                bytes.fromhex(value["signature"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidQuote(f"a field is missing or malformed: {error}") from None
        if len(quote.call_id) != CALL_ID_SIZE:
            raise InvalidQuote("its call id is not 16 bytes")
        return quote
