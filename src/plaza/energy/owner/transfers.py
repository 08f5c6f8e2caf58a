"""What the user module keeps of its owners' wallets: each transfer and where it stands.

An owner's wallet moves coins three ways (a faucet grant in, a device's funding or
a withdrawal out), an allowance (:mod:`~plaza.energy.owner.allowances`) two (a device's
funding, or what is left returned to its person); each move is kept with its ledger
message until the ledger decides it (confirmed, conflicting, or expired), and amounts are
checked here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Any

from plaza.crypto import Address, InvalidAddress
from plaza.energy.errors import InvalidMessage
from plaza.ledger.model import MAX_AMOUNT

__all__ = ["Allowance", "TransferState", "WalletTransfer", "check_address", "check_amount"]


def check_amount(value: object, name: str = "amount") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_AMOUNT:
        raise InvalidMessage(f"{name} must be a positive integer of base units")
    return value


def check_address(value: object, *, expected: str = "a plz1… address") -> Address:
    """The ``address`` coins are sent to (a withdrawal's, an allowance's way back)."""
    if not isinstance(value, str):
        raise InvalidMessage(f"address must be {expected}")
    try:
        return Address.parse(value.strip())
    except InvalidAddress as error:
        raise InvalidMessage(f"address is not a valid address: {error}") from None


class TransferState(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CONFLICTING = "conflicting"  # confirmed, but it moved nothing
    EXPIRED = "expired"  # never confirmed within the ledger's transfer lifetime


@dataclass(frozen=True, slots=True)
class WalletTransfer:
    """A move of an owner's wallet: a faucet grant in, a funding or a withdrawal out."""

    message_id: str
    owner_id: str
    kind: str  # faucet | fund | withdraw | return (an allowance's rest, back to its person)
    counterpart: str  # the address paid (or the faucet's grant address)
    amount: int
    device_id: str
    created_ms: int
    state: TransferState = TransferState.PENDING
    reference: str = ""  # a funding's reference from the device's /fund letter, if any
    allowance: str = ""  # the allowance it was paid from or returned, if any

    def from_allowance(self, allowance_id: str) -> WalletTransfer:
        """This move, marked as made from (or back from) the allowance ``allowance_id``."""
        return replace(self, allowance=allowance_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "messageId": self.message_id,
            "kind": self.kind,
            "address": self.counterpart,
            "amount": self.amount,
            "assetId": self.device_id or None,
            "createdAt": self.created_ms,
            "state": str(self.state),
            "allowanceId": self.allowance or None,
        }


@dataclass(frozen=True, slots=True)
class Allowance:
    """A bounded account the module may spend from for its owner, until revoked."""

    id: str
    owner_id: str
    number: int  # which allowance key of the module's wallet secret is this one's
    cap: int  # the most it ever pays out, in base units
    return_address: str  # the person's own address: where what is left goes back
    created_ms: int
    revoked_ms: int | None = None

    @property
    def active(self) -> bool:
        return self.revoked_ms is None
