"""Ledger state: balances per address, changed only by milestones (account model).

A transfer debits its issuer's address and credits its outputs. Applied in
white-flag order, a transfer the payer cannot cover is *conflicting*: it stays in
the tangle, confirmed, and changes nothing. There are no per-account nonces, so
a wallet's transfers never conflict with each other while its balance covers
them, whatever order the milestone puts them in; a replayed message has the same
id as the original and is stored, and so applied, at most once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from plaza.encoding import Writer
from plaza.ledger.merkle import merkle_root
from plaza.ledger.model import TRANSFER_TTL_MS, Conflict, Output

__all__ = ["LedgerState", "MilestoneOutcome", "Transfer", "state_root"]

STATE_DOMAIN = b"plaza-state-v1"


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


@dataclass(frozen=True, slots=True)
class MilestoneOutcome:
    """What applying a milestone's cone does, computed before anything is written."""

    index: int
    timestamp_ms: int
    confirmed: tuple[tuple[bytes, Conflict], ...]
    changed_balances: dict[bytes, int]
    applied: dict[bytes, int]  # keys of newly applied transfers -> their issue time
    inclusion_root: bytes
    state_root: bytes


def canonical_state(index: int, balances: Iterable[tuple[bytes, int]]) -> bytes:
    """The ledger state as bytes: two nodes agree exactly when these agree."""
    writer = Writer().raw(STATE_DOMAIN).u32(index)
    for address, amount in sorted(balances):
        if amount:
            writer.raw(address).u64(amount)
    return writer.getvalue()


def state_root(index: int, balances: Iterable[tuple[bytes, int]]) -> bytes:
    return hashlib.blake2b(canonical_state(index, balances), digest_size=32).digest()


class LedgerState:
    """Balances at the latest applied milestone, held in memory and kept equal to storage.

    It also remembers the keys of the transfers applied within the last
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
    ) -> None:
        self._balances = {address: amount for address, amount in balances.items() if amount}
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

    def root(self) -> bytes:
        return state_root(self._index, self._balances.items())

    def canonical_bytes(self) -> bytes:
        return canonical_state(self._index, self._balances.items())

    def evaluate(
        self,
        index: int,
        order: Sequence[bytes],
        transfers: Mapping[bytes, Transfer],
        timestamp_ms: int,
    ) -> MilestoneOutcome:
        """Apply ``order`` to a scratch copy; the state itself changes only in :meth:`commit`."""
        changed: dict[bytes, int] = {}
        applied: dict[bytes, int] = {}
        confirmed: list[tuple[bytes, Conflict]] = []
        for message_id in order:
            transfer = transfers.get(message_id)
            conflict = Conflict.NONE
            if transfer is not None:
                conflict = self._apply(transfer, changed, applied, timestamp_ms)
            confirmed.append((message_id, conflict))
        merged = {**self._balances, **changed}
        return MilestoneOutcome(
            index=index,
            timestamp_ms=timestamp_ms,
            confirmed=tuple(confirmed),
            changed_balances=changed,
            applied=applied,
            inclusion_root=merkle_root(order),
            state_root=state_root(index, merged.items()),
        )

    def _apply(
        self, transfer: Transfer, changed: dict[bytes, int], applied: dict[bytes, int], now_ms: int
    ) -> Conflict:
        if transfer.issued_at_ms < now_ms - self._ttl_ms:
            return Conflict.EXPIRED
        if transfer.key in self._applied or transfer.key in applied:
            return Conflict.REPLAYED
        available = changed.get(transfer.payer, self._balances.get(transfer.payer, 0))
        total = transfer.total
        if total > available:
            return Conflict.INSUFFICIENT_FUNDS
        changed[transfer.payer] = available - total
        for output in transfer.outputs:
            current = changed.get(output.address, self._balances.get(output.address, 0))
            changed[output.address] = current + output.amount
        applied[transfer.key] = transfer.issued_at_ms
        return Conflict.NONE

    def commit(self, outcome: MilestoneOutcome) -> None:
        for address, amount in outcome.changed_balances.items():
            if amount:
                self._balances[address] = amount
            else:
                self._balances.pop(address, None)
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
        }
