"""Held payments: the rules that open, release, settle and expire a hold.

A hold moves ``amount`` out of the payer's balance into the hold; it leaves the
hold to the payee, back to the payer, or split between them, so
``sum(balances) + sum(what open holds still hold) == supply`` after every
milestone and no hold pays more than it held. Part of it may go to the payee
while it stays open (a part payment, by the arbiter or the payer: what a
delivery paid as it is served needs); closing it then pays or refunds only what
remains. Who may close it how:

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
from plaza.ledger.actions import OpenHold, PayHold, ReleaseHold, SettleHold
from plaza.ledger.model import Conflict

__all__ = [
    "Hold",
    "HoldRecord",
    "HoldStatus",
    "Scratch",
    "encode_holds",
    "hashlock_of",
    "open_hold",
    "pay_hold",
    "release_hold",
    "settle_hold",
]


def hashlock_of(secret: bytes) -> bytes:
    """The hashlock a secret opens: BLAKE2b-256 of it, unkeyed and unpersonalised."""
    return hashlib.blake2b(secret, digest_size=32).digest()


@dataclass(frozen=True, slots=True)
class Hold:
    """A hold, as the ledger state keeps it while open and the state root covers it.

    ``amount`` is what was held at the start; ``paid`` what the payee has received
    from it so far (its part payments while open, everything once closed).
    """

    id: bytes
    payer: bytes
    payee: bytes
    amount: int
    expires_at_ms: int
    hashlock: bytes = b""
    arbiter: bytes = b""
    paid: int = 0

    @property
    def remaining(self) -> int:
        """What an open hold still holds: the most a part payment or a settlement moves."""
        return self.amount - self.paid


class HoldStatus(enum.StrEnum):
    OPEN = "open"
    RELEASED = "released"  # paid to the payee by its secret
    SETTLED = "settled"  # closed by a settlement (arbiter, payee or payer)
    EXPIRED = "expired"  # refunded to the payer at its deadline


@dataclass(frozen=True, slots=True)
class HoldRecord:
    """A hold as stored, open or closed: what ``GET /holds/{id}`` answers.

    ``closed_by`` is the releasing or settling message (None while open or expired).
    What the payee received is the hold's ``paid``, kept once, so a record cannot
    say two things about it.
    """

    hold: Hold
    status: HoldStatus
    opened_in: int
    closed_in: int | None = None
    closed_by: bytes | None = None

    @property
    def to_payee(self) -> int:
        """What the payee received so far: its part payments while open, all it got once
        closed (the payer got the rest)."""
        return self.hold.paid

    @property
    def refunded(self) -> int:
        return 0 if self.status is HoldStatus.OPEN else self.hold.amount - self.to_payee

    @property
    def remaining(self) -> int:
        return self.hold.remaining if self.status is HoldStatus.OPEN else 0


def encode_holds(writer: Writer, holds: Iterable[Hold]) -> None:
    """The open holds' part of the canonical state, sorted by id (``docs/protocol.md``).

    A hold's amount there is what it still holds: a hold never part-paid encodes as
    before, and what was paid is already in the payee's balance.
    """
    ordered = sorted(holds, key=lambda hold: hold.id)
    writer.u32(len(ordered))
    for hold in ordered:
        writer.raw(hold.id).raw(hold.payer).raw(hold.payee)
        writer.u64(hold.remaining).u64(hold.expires_at_ms)
        writer.bytes8(hold.hashlock).bytes8(hold.arbiter)


@dataclass(slots=True)
class Scratch:
    """One milestone's changes over the committed balances and holds, read through."""

    balances: Mapping[bytes, int]
    holds: Mapping[bytes, Hold]
    index: int
    changed: dict[bytes, int] = field(default_factory=dict)
    records: dict[bytes, HoldRecord] = field(default_factory=dict)
    #: The payer and payee of the hold each applied release, settlement or part payment
    #: moved, by that message's id: it names only a hold id, so its confirmation event
    #: names the parties (a payer following its address sees the release and its secret,
    #: a payee its part payments).
    parties: dict[bytes, tuple[bytes, ...]] = field(default_factory=dict)

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
        """Pay ``to_payee`` of what ``hold`` still holds to the payee, the rest to the payer."""
        paid = hold.paid + to_payee
        record = self._record(hold)
        self.records[hold.id] = replace(
            record, hold=replace(hold, paid=paid), status=status, closed_in=self.index, closed_by=by
        )
        self.credit(hold.payee, to_payee)
        self.credit(hold.payer, hold.remaining - to_payee)
        if by is not None:
            self.parties[by] = (hold.payer, hold.payee)

    def pay(self, hold: Hold, amount: int, by: bytes) -> None:
        """Pay ``amount`` of ``hold`` to the payee; the hold stays open with the rest."""
        paid = hold.paid + amount
        self.records[hold.id] = replace(self._record(hold), hold=replace(hold, paid=paid))
        self.credit(hold.payee, amount)
        self.parties[by] = (hold.payer, hold.payee)

    def _record(self, hold: Hold) -> HoldRecord:
        """The hold's record in this milestone; a committed hold's ``opened_in`` is the
        stores' to keep (they update a stored hold's payments and closing only)."""
        return self.records.get(hold.id) or HoldRecord(hold, HoldStatus.OPEN, self.index)

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
    scratch.close(hold, HoldStatus.RELEASED, hold.remaining, message_id)
    return Conflict.NONE


def settle_hold(action: SettleHold, scratch: Scratch, message_id: bytes) -> Conflict:
    hold = scratch.open_hold(action.hold_id)
    if hold is None:
        return Conflict.HOLD_NOT_OPEN
    if not _may_settle(hold, action.issuer, action.to_payee):
        return Conflict.NOT_ALLOWED
    scratch.close(hold, HoldStatus.SETTLED, action.to_payee, message_id)
    return Conflict.NONE


def pay_hold(action: PayHold, scratch: Scratch, message_id: bytes) -> Conflict:
    """Pay part of an open hold: by its arbiter or its payer, at most what remains.

    Those two may already send the payee money through a settlement (the arbiter
    any split, the payer all of it); the payee may not pay itself, nor may anyone
    else. The hold keeps its deadline, which refunds only what is left then.
    """
    hold = scratch.open_hold(action.hold_id)
    if hold is None:
        return Conflict.HOLD_NOT_OPEN
    if action.amount > hold.remaining or not _may_pay(hold, action.issuer):
        return Conflict.NOT_ALLOWED
    scratch.pay(hold, action.amount, message_id)
    return Conflict.NONE


def _may_pay(hold: Hold, issuer: bytes) -> bool:
    return issuer == hold.payer or (bool(hold.arbiter) and issuer == hold.arbiter)


def _may_settle(hold: Hold, issuer: bytes, to_payee: int) -> bool:
    """``to_payee`` is of what the hold still holds (its part payments are the payee's)."""
    if to_payee > hold.remaining:
        return False
    if hold.arbiter and issuer == hold.arbiter:
        return True
    if issuer == hold.payee and to_payee == 0:
        return True
    return issuer == hold.payer and to_payee == hold.remaining
