"""What a confirmed message asks of the ledger state, read off its payload once.

A node keeps one action per pending value-moving message (a transfer, or a hold
opened, released, settled or paid in part), so applying a milestone never decodes a message
again. Data and milestone messages ask nothing and have no action.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from plaza.crypto import Address
from plaza.ledger.model import (
    HoldPayload,
    Message,
    Output,
    PayPayload,
    ReleasePayload,
    SettlePayload,
    TransferPayload,
)

__all__ = [
    "Action",
    "OpenHold",
    "PayHold",
    "ReleaseHold",
    "SettleHold",
    "Transfer",
    "action_of",
    "transfer_key",
]


def transfer_key(message: Message) -> bytes:
    """What identifies a payment across re-attachments: the hash of what its payer signed.

    It is also a hold's id: the payer knows it before any proof of work, and the
    same signed hold attached again under another nonce is the same hold.
    """
    return hashlib.blake2b(message.essence, digest_size=32).digest()


@dataclass(frozen=True, slots=True)
class Transfer:
    """What a confirmed transfer would do to balances.

    ``key`` identifies what the payer signed (the hash of the essence): the same
    signed transfer attached again with another nonce is another message with the
    same key, and must not pay twice.
    """

    payer: bytes
    outputs: tuple[Output, ...]
    key: bytes
    issued_at_ms: int

    @property
    def total(self) -> int:
        return sum(output.amount for output in self.outputs)

    @property
    def addresses(self) -> tuple[bytes, ...]:
        return (self.payer, *(output.address for output in self.outputs))


@dataclass(frozen=True, slots=True)
class OpenHold:
    """A hold to open: ``key`` is its id, replay-protected like a transfer's."""

    payer: bytes
    payee: bytes
    amount: int
    expires_at_ms: int
    hashlock: bytes
    arbiter: bytes
    key: bytes
    issued_at_ms: int

    @property
    def addresses(self) -> tuple[bytes, ...]:
        return tuple(dict.fromkeys(a for a in (self.payer, self.payee, self.arbiter) if a))


@dataclass(frozen=True, slots=True)
class ReleaseHold:
    """A hold to pay to its payee, if ``secret`` opens its hashlock; anyone may send it."""

    hold_id: bytes
    secret: bytes

    @property
    def addresses(self) -> tuple[bytes, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class SettleHold:
    """A hold to close with ``to_payee`` to the payee, by ``issuer`` (an address)."""

    hold_id: bytes
    to_payee: int
    issuer: bytes

    @property
    def addresses(self) -> tuple[bytes, ...]:
        return (self.issuer,)


@dataclass(frozen=True, slots=True)
class PayHold:
    """Part of a hold to pay to its payee, by ``issuer`` (an address); the rest stays held.

    It does not close the hold, so the same signed part payment attached again must
    not pay twice: ``key`` and ``issued_at_ms`` protect it like a transfer's.
    """

    hold_id: bytes
    amount: int
    issuer: bytes
    key: bytes
    issued_at_ms: int

    @property
    def addresses(self) -> tuple[bytes, ...]:
        return (self.issuer,)


Action = Transfer | OpenHold | ReleaseHold | SettleHold | PayHold


def action_of(message: Message) -> Action | None:
    """The action of a message's payload, or None for data and milestones."""
    payload = message.payload
    match payload:
        case TransferPayload(outputs=outputs):
            payer = Address.from_public_key(message.issuer).raw
            return Transfer(payer, outputs, transfer_key(message), message.issued_at_ms)
        case HoldPayload():
            return OpenHold(
                payer=Address.from_public_key(message.issuer).raw,
                payee=payload.payee,
                amount=payload.amount,
                expires_at_ms=payload.expires_at_ms,
                hashlock=payload.hashlock,
                arbiter=payload.arbiter,
                key=transfer_key(message),
                issued_at_ms=message.issued_at_ms,
            )
        case ReleasePayload(hold_id=hold_id, secret=secret):
            return ReleaseHold(hold_id, secret)
        case SettlePayload(hold_id=hold_id, to_payee=to_payee):
            return SettleHold(hold_id, to_payee, Address.from_public_key(message.issuer).raw)
        case PayPayload(hold_id=hold_id, amount=amount):
            issuer = Address.from_public_key(message.issuer).raw
            return PayHold(hold_id, amount, issuer, transfer_key(message), message.issued_at_ms)
    return None
