"""Held payments from a wallet's keys: compose a hold, its release, settlement and part payment.

Each function returns a signed message with its proof of work, *not* submitted:
a caller stores the bytes (and, for a hold, its secret) before any node sees
them, as with every payment (:class:`~plaza.ledger.ports.Composer`). The ledger
rules they rely on are in :mod:`plaza.ledger.holds` and ``docs/protocol.md``.

Pay-per-call: the customer holds the price for the provider, locked with the
hashlock of a key only the provider knows; the provider encrypts the result with
that key and releases the hold by revealing it, which is what lets the customer
decrypt; if it delivers nothing, the deadline refunds the customer. A telco
order: the service provider holds for the asset provider with the orchestrator
as arbiter, which settles in full when access is configured, in part when the
asset fails during the window, or not at all when the order is cancelled.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from plaza.crypto import Address, SigningKey
from plaza.ledger.actions import transfer_key
from plaza.ledger.holds import hashlock_of
from plaza.ledger.model import (
    ID_SIZE,
    MAX_AMOUNT,
    SECRET_SIZE,
    HoldPayload,
    Message,
    PayPayload,
    ReleasePayload,
    SettlePayload,
)
from plaza.ledger.ports import Composer
from plaza.wallet.errors import InvalidAmount
from plaza.wallet.spending import parse_recipient

__all__ = [
    "HeldPayment",
    "Lock",
    "compose_hold",
    "compose_pay",
    "compose_release",
    "compose_settle",
    "hold_id_of",
    "new_lock",
]


@dataclass(frozen=True, slots=True)
class Lock:
    """A fresh secret and the hashlock it opens. The secret is what releases the hold:
    keep it private until releasing (a pay-per-call provider encrypts its result with it)."""

    secret: bytes
    hashlock: bytes

    def __repr__(self) -> str:
        return f"Lock(hashlock={self.hashlock.hex()})"


def new_lock() -> Lock:
    secret = secrets.token_bytes(SECRET_SIZE)
    return Lock(secret, hashlock_of(secret))


@dataclass(frozen=True, slots=True)
class HeldPayment:
    """A composed hold and its id (what releases, settlements and ``GET /holds`` name)."""

    message: Message
    hold_id: bytes
    payee: Address
    amount: int
    expires_at_ms: int


def hold_id_of(message: Message) -> bytes:
    """A hold's id: the hash of what its payer signed, the same on every re-attachment."""
    return transfer_key(message)


def _amount(amount: int, *, minimum: int) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidAmount(amount, "must be a whole number of base units")
    if not minimum <= amount <= MAX_AMOUNT:
        raise InvalidAmount(amount, f"must be {minimum} to {MAX_AMOUNT} base units")
    return amount


def _checked_id(hold_id: bytes) -> bytes:
    if len(hold_id) != ID_SIZE:
        raise ValueError(f"a hold id is {ID_SIZE} bytes, got {len(hold_id)}")
    return hold_id


def compose_hold(
    composer: Composer,
    payer: SigningKey,
    payee: Address | str,
    amount: int,
    *,
    expires_at_ms: int,
    hashlock: bytes = b"",
    arbiter: Address | str | None = None,
    tag: bytes = b"",
    data: bytes = b"",
) -> HeldPayment:
    """``amount`` from ``payer``'s address held for ``payee`` until ``expires_at_ms``.

    The ledger refuses a deadline not after the issue time or more than
    :data:`~plaza.ledger.model.MAX_HOLD_MS` after it; issue it soon before confirmation.
    """
    address = parse_recipient(payee)
    if len(hashlock) not in (0, ID_SIZE):
        raise ValueError(f"a hashlock is {ID_SIZE} bytes or empty, got {len(hashlock)}")
    judge = b"" if arbiter is None else parse_recipient(arbiter).raw
    payload = HoldPayload(
        address.raw, _amount(amount, minimum=1), expires_at_ms, hashlock, judge, tag, data
    )
    message = composer.compose(payer, payload)
    return HeldPayment(message, hold_id_of(message), address, amount, expires_at_ms)


def compose_release(
    composer: Composer,
    signer: SigningKey,
    hold_id: bytes,
    secret: bytes,
    *,
    tag: bytes = b"",
    first_parents: Sequence[bytes] = (),
) -> Message:
    """Reveal ``secret`` to pay the hold in full to its payee; any key may sign it.
    ``first_parents`` are messages the release must follow: no milestone confirms it
    without them (a result it pays for, say)."""
    if len(secret) != SECRET_SIZE:
        raise ValueError(f"a secret is {SECRET_SIZE} bytes, got {len(secret)}")
    payload = ReleasePayload(_checked_id(hold_id), secret, tag)
    return composer.compose(signer, payload, first_parents=first_parents)


def compose_settle(
    composer: Composer,
    signer: SigningKey,
    hold_id: bytes,
    to_payee: int,
    *,
    reason: bytes = b"",
    tag: bytes = b"",
) -> Message:
    """Close the hold with ``to_payee`` to the payee and the rest to the payer.

    The arbiter may split any way; the payee may only refund in full
    (``to_payee=0``, ``reason`` saying why the job failed); the payer may only pay
    in full. Any other settlement confirms as conflicting ``not_allowed``.
    """
    payload = SettlePayload(_checked_id(hold_id), _amount(to_payee, minimum=0), tag, reason)
    return composer.compose(signer, payload)


def compose_pay(
    composer: Composer,
    signer: SigningKey,
    hold_id: bytes,
    amount: int,
    *,
    reason: bytes = b"",
    tag: bytes = b"",
) -> Message:
    """Pay ``amount`` of the hold to the payee and keep the rest held (a part payment).

    Only the arbiter or the payer may, at most what the hold still holds; any other
    part payment confirms as conflicting ``not_allowed``.
    """
    payload = PayPayload(_checked_id(hold_id), _amount(amount, minimum=1), tag, reason)
    return composer.compose(signer, payload)
