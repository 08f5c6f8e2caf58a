"""Held payments: the rules that open, release, settle and expire a hold.

A hold moves ``amount`` out of the payer's balance into the hold; it leaves the
hold exactly once, to the payee, back to the payer, or split between them, so
``sum(balances) + sum(open holds) == supply`` after every milestone and no hold
pays twice. Who may close it how:

* anyone, with the secret whose BLAKE2b-256 is the hashlock: all to the payee;
* the arbiter: any split;
* the payee: a full refund (it may give the payment back, never take it);
* the payer: a full payment (it may pay early, never take the payment back);
* the ledger itself, at the first milestone whose timestamp reaches the deadline:
  all back to the payer, so a payer needs no one's cooperation to be refunded.

Milestone timestamps are what every node agrees on, so expiry is deterministic;
each milestone refunds the expired holds *before* applying its cone, so a
release confirmed by that milestone is too late, whenever it was issued.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from plaza.encoding import Writer
from plaza.ledger.actions import OpenHold, ReleaseHold, SettleHold
from plaza.ledger.model import Conflict

__all__ = [
    "Hold",
    "HoldRecord",
    "HoldStatus",
    "Scratch",
    "closing_parties",
    "encode_holds",
    "hashlock_of",
    "open_hold",
    "release_hold",
    "settle_hold",
]


def hashlock_of(secret: bytes) -> bytes:
    """The hashlock a secret opens: BLAKE2b-256 of it, unkeyed and unpersonalised."""
    return hashlib.blake2b(secret, digest_size=32).digest()


@dataclass(frozen=True, slots=True)
class Hold:
    """An open hold, as the ledger state keeps it and the state root covers it."""

    id: bytes
    payer: bytes
    payee: bytes
    amount: int
    expires_at_ms: int
    hashlock: bytes = b""
    arbiter: bytes = b""


class HoldStatus(enum.StrEnum):
    OPEN = "open"
    RELEASED = "released"  # paid to the payee by its secret
    SETTLED = "settled"  # closed by a settlement (arbiter, payee or payer)
    EXPIRED = "expired"  # refunded to the payer at its deadline


@dataclass(frozen=True, slots=True)
class HoldRecord:
    """A hold as stored, open or closed: what ``GET /holds/{id}`` answers.

    ``to_payee`` is what the payee received when it closed (the payer got the rest);
    ``closed_by`` is the releasing or settling message (None while open or expired).
    """

    hold: Hold
    status: HoldStatus
    opened_in: int
    to_payee: int = 0
    closed_in: int | None = None
    closed_by: bytes | None = None

    @property
    def refunded(self) -> int:
        return 0 if self.status is HoldStatus.OPEN else self.hold.amount - self.to_payee


def closing_parties(records: Iterable[HoldRecord]) -> dict[bytes, tuple[bytes, ...]]:
    """The payer and payee of each hold a message closed, by that message's id.

    A release or settlement names only a hold id; its confirmation event names the
    parties, so a payer following its address sees the release (and its secret).
    """
    return {
        record.closed_by: (record.hold.payer, record.hold.payee)
        for record in records
        if record.closed_by is not None
    }


def encode_holds(writer: Writer, holds: Iterable[Hold]) -> None:
    """The open holds' part of the canonical state, sorted by id (``docs/protocol.md``)."""
    ordered = sorted(holds, key=lambda hold: hold.id)
    writer.u32(len(ordered))
    for hold in ordered:
        writer.raw(hold.id).raw(hold.payer).raw(hold.payee)
        writer.u64(hold.amount).u64(hold.expires_at_ms)
        writer.bytes8(hold.hashlock).bytes8(hold.arbiter)


@dataclass(slots=True)
class Scratch:
    """One milestone's changes over the committed balances and holds, read through."""

    balances: Mapping[bytes, int]
    holds: Mapping[bytes, Hold]
    index: int
    changed: dict[bytes, int] = field(default_factory=dict)
    records: dict[bytes, HoldRecord] = field(default_factory=dict)

    def balance(self, address: bytes) -> int:
        return self.changed.get(address, self.balances.get(address, 0))

    def credit(self, address: bytes, amount: int) -> None:
        if amount:
            self.changed[address] = self.balance(address) + amount

    def open_hold(self, hold_id: bytes) -> Hold | None:
        """The hold if it is open now: committed or opened by this milestone, not closed."""
        record = self.records.get(hold_id)
        if record is not None:
            return record.hold if record.status is HoldStatus.OPEN else None
        return self.holds.get(hold_id)

    def close(self, hold: Hold, status: HoldStatus, to_payee: int, by: bytes | None) -> None:
        record = self.records.get(hold.id) or HoldRecord(hold, HoldStatus.OPEN, self.index)
        self.records[hold.id] = replace(
            record, status=status, to_payee=to_payee, closed_in=self.index, closed_by=by
        )
        self.credit(hold.payee, to_payee)
        self.credit(hold.payer, hold.amount - to_payee)

    def expire(self, now_ms: int) -> None:
        """Refund every committed hold whose deadline ``now_ms`` reaches, in id order."""
        for hold_id in sorted(i for i, h in self.holds.items() if h.expires_at_ms <= now_ms):
            self.close(self.holds[hold_id], HoldStatus.EXPIRED, 0, None)


def open_hold(action: OpenHold, scratch: Scratch, now_ms: int) -> Conflict:
    """Move the amount out of the payer's balance into a new hold (replays checked before)."""
    if action.expires_at_ms <= now_ms:
        return Conflict.EXPIRED
    available = scratch.balance(action.payer)
    if action.amount > available:
        return Conflict.INSUFFICIENT_FUNDS
    scratch.changed[action.payer] = available - action.amount
    hold = Hold(
        action.key,
        action.payer,
        action.payee,
        action.amount,
        action.expires_at_ms,
        action.hashlock,
        action.arbiter,
    )
    scratch.records[hold.id] = HoldRecord(hold, HoldStatus.OPEN, scratch.index)
    return Conflict.NONE


def release_hold(action: ReleaseHold, scratch: Scratch, message_id: bytes) -> Conflict:
    hold = scratch.open_hold(action.hold_id)
    if hold is None:
        return Conflict.HOLD_NOT_OPEN
    if not hold.hashlock or hashlock_of(action.secret) != hold.hashlock:
        return Conflict.WRONG_SECRET
    scratch.close(hold, HoldStatus.RELEASED, hold.amount, message_id)
    return Conflict.NONE


def settle_hold(action: SettleHold, scratch: Scratch, message_id: bytes) -> Conflict:
    hold = scratch.open_hold(action.hold_id)
    if hold is None:
        return Conflict.HOLD_NOT_OPEN
    if not _may_settle(hold, action.issuer, action.to_payee):
        return Conflict.NOT_ALLOWED
    scratch.close(hold, HoldStatus.SETTLED, action.to_payee, message_id)
    return Conflict.NONE


def _may_settle(hold: Hold, issuer: bytes, to_payee: int) -> bool:
    if to_payee > hold.amount:
        return False
    if hold.arbiter and issuer == hold.arbiter:
        return True
    if issuer == hold.payee and to_payee == 0:
        return True
    return issuer == hold.payer and to_payee == hold.amount
