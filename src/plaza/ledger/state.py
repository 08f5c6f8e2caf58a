"""Ledger state: balances and open holds, changed only by milestones (account model).

A transfer debits its issuer's address and credits its outputs. Applied in
white-flag order, a transfer the payer cannot cover is *conflicting*: it stays in
the tangle, confirmed, and changes nothing. There are no per-account nonces, so
a wallet's transfers never conflict with each other while its balance covers
them, whatever order the milestone puts them in; a replayed message has the same
id as the original and is stored, and so applied, at most once. Holds (held
payments) follow the rules of :mod:`plaza.ledger.holds`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from plaza.encoding import Writer
from plaza.ledger.actions import Action, OpenHold, PayHold, ReleaseHold, SettleHold, Transfer
from plaza.ledger.holds import (
    Hold,
    HoldRecord,
    HoldStatus,
    Scratch,
    encode_holds,
    open_hold,
    pay_hold,
    release_hold,
    settle_hold,
)
from plaza.ledger.merkle import merkle_root
from plaza.ledger.model import TRANSFER_TTL_MS, Conflict

__all__ = ["LedgerState", "MilestoneOutcome", "Transfer", "canonical_state", "state_root"]

STATE_DOMAIN = b"plaza-state-v1"
#: The state with open holds: a domain of its own, so it can never equal a v1 encoding.
HOLDS_STATE_DOMAIN = b"plaza-state-v2"


@dataclass(frozen=True, slots=True)
class MilestoneOutcome:
    """What applying a milestone's cone does, computed before anything is written."""

    index: int
    timestamp_ms: int
    confirmed: tuple[tuple[bytes, Conflict], ...]
    changed_balances: dict[bytes, int]
    applied: dict[bytes, int]  # keys of newly applied transfers and holds -> their issue time
    inclusion_root: bytes
    state_root: bytes
    holds: dict[bytes, HoldRecord] = field(default_factory=dict)  # opened or changed here
    #: The hold's payer and payee by the id of each message that moved a hold's coins.
    parties: dict[bytes, tuple[bytes, ...]] = field(default_factory=dict)


def canonical_state(
    index: int, balances: Iterable[tuple[bytes, int]], holds: Iterable[Hold] = ()
) -> bytes:
    """The ledger state as bytes: two nodes agree exactly when these agree.

    Without open holds it is the version 1 encoding, byte for byte, so states that
    never held anything keep their roots; with open holds the balances are counted
    and the holds follow (``docs/protocol.md``).
    """
    held = list(holds)
    nonzero = [(address, amount) for address, amount in sorted(balances) if amount]
    if not held:
        writer = Writer().raw(STATE_DOMAIN).u32(index)
    else:
        writer = Writer().raw(HOLDS_STATE_DOMAIN).u32(index).u32(len(nonzero))
    for address, amount in nonzero:
        writer.raw(address).u64(amount)
    if held:
        encode_holds(writer, held)
    return writer.getvalue()


def state_root(
    index: int, balances: Iterable[tuple[bytes, int]], holds: Iterable[Hold] = ()
) -> bytes:
    return hashlib.blake2b(canonical_state(index, balances, holds), digest_size=32).digest()


class LedgerState:
    """Balances and open holds at the latest applied milestone, kept equal to storage.

    It also remembers the keys of the transfers and holds applied within the last
    ``ttl_ms``: older ones cannot apply again anyway, they have expired.
    """

    def __init__(
        self,
        balances: Mapping[bytes, int],
        supply: int,
        index: int,
        *,
        applied: Mapping[bytes, int] | None = None,
        ttl_ms: int = TRANSFER_TTL_MS,
        holds: Iterable[Hold] = (),
    ) -> None:
        self._balances = {address: amount for address, amount in balances.items() if amount}
        self._holds = {hold.id: hold for hold in holds}
        self._supply = supply
        self._index = index
        self._applied = dict(applied or {})
        self._ttl_ms = ttl_ms

    @property
    def index(self) -> int:
        return self._index

    @property
    def supply(self) -> int:
        return self._supply

    def balance(self, address: bytes) -> int:
        return self._balances.get(address, 0)

    def balances(self) -> dict[bytes, int]:
        return dict(self._balances)

    def holds(self) -> dict[bytes, Hold]:
        """The open holds by id."""
        return dict(self._holds)

    def held(self) -> int:
        """What the open holds still hold: with the balances, always the supply."""
        return sum(hold.remaining for hold in self._holds.values())

    def root(self) -> bytes:
        return state_root(self._index, self._balances.items(), self._holds.values())

    def canonical_bytes(self) -> bytes:
        return canonical_state(self._index, self._balances.items(), self._holds.values())

    def evaluate(
        self,
        index: int,
        order: Sequence[bytes],
        actions: Mapping[bytes, Action],
        timestamp_ms: int,
    ) -> MilestoneOutcome:
        """Apply ``order`` to a scratch copy; the state itself changes only in :meth:`commit`.

        Holds whose deadline the milestone's timestamp reaches are refunded first.
        """
        scratch = Scratch(self._balances, self._holds, index)
        scratch.expire(timestamp_ms)
        applied: dict[bytes, int] = {}
        confirmed: list[tuple[bytes, Conflict]] = []
        for message_id in order:
            action = actions.get(message_id)
            conflict = Conflict.NONE
            if action is not None:
                conflict = self._apply(action, message_id, scratch, applied, timestamp_ms)
            confirmed.append((message_id, conflict))
        merged = {**self._balances, **scratch.changed}
        return MilestoneOutcome(
            index=index,
            timestamp_ms=timestamp_ms,
            confirmed=tuple(confirmed),
            changed_balances=scratch.changed,
            applied=applied,
            inclusion_root=merkle_root(order),
            state_root=state_root(index, merged.items(), self._open_after(scratch.records)),
            holds=scratch.records,
            parties=scratch.parties,
        )

    def _open_after(self, records: Mapping[bytes, HoldRecord]) -> list[Hold]:
        holds = {**self._holds, **{i: r.hold for i, r in records.items()}}
        closed = {i for i, r in records.items() if r.status is not HoldStatus.OPEN}
        return [hold for hold_id, hold in holds.items() if hold_id not in closed]

    def _apply(
        self,
        action: Action,
        message_id: bytes,
        scratch: Scratch,
        applied: dict[bytes, int],
        now_ms: int,
    ) -> Conflict:
        if isinstance(action, ReleaseHold):
            return release_hold(action, scratch, message_id)
        if isinstance(action, SettleHold):
            return settle_hold(action, scratch, message_id)
        if action.issued_at_ms < now_ms - self._ttl_ms:
            return Conflict.EXPIRED
        if action.key in self._applied or action.key in applied:
            return Conflict.REPLAYED
        if isinstance(action, OpenHold):
            conflict = open_hold(action, scratch, now_ms)
        elif isinstance(action, PayHold):
            conflict = pay_hold(action, scratch, message_id)
        else:
            conflict = _transfer(action, scratch)
        if conflict is Conflict.NONE:
            applied[action.key] = action.issued_at_ms
        return conflict

    def commit(self, outcome: MilestoneOutcome) -> None:
        for address, amount in outcome.changed_balances.items():
            if amount:
                self._balances[address] = amount
            else:
                self._balances.pop(address, None)
        for hold_id, record in outcome.holds.items():
            if record.status is HoldStatus.OPEN:
                self._holds[hold_id] = record.hold
            else:
                self._holds.pop(hold_id, None)
        self._index = outcome.index
        self._applied.update(outcome.applied)
        horizon = outcome.timestamp_ms - self._ttl_ms
        for key in [key for key, issued in self._applied.items() if issued < horizon]:
            del self._applied[key]

    def statistics(self) -> dict[str, int]:
        return {
            "addresses": len(self._balances),
            "supply": self._supply,
            "index": self._index,
            "remembered_transfers": len(self._applied),
            "open_holds": len(self._holds),
        }


def _transfer(transfer: Transfer, scratch: Scratch) -> Conflict:
    available = scratch.balance(transfer.payer)
    total = transfer.total
    if total > available:
        return Conflict.INSUFFICIENT_FUNDS
    scratch.changed[transfer.payer] = available - total
    for output in transfer.outputs:
        scratch.credit(output.address, output.amount)
    return Conflict.NONE
