"""Opening a node's ledger from its store: the genesis check and the state to start from.

Kept apart from :mod:`plaza.ledger.service` because none of it runs after
startup: it reads the store once, before the tangle takes its first message.
"""

from __future__ import annotations

from plaza.ledger.actions import transfer_key
from plaza.ledger.codec import decode_message
from plaza.ledger.errors import LedgerError
from plaza.ledger.genesis import Genesis
from plaza.ledger.merkle import EMPTY_ROOT
from plaza.ledger.model import TRANSFER_TTL_MS, MilestoneRecord
from plaza.ledger.ports import TangleStore
from plaza.ledger.state import LedgerState

__all__ = ["GenesisMismatch", "load_state", "open_genesis"]


class GenesisMismatch(LedgerError):
    code = "genesis_mismatch"

    def __init__(self, stored: bytes, expected: bytes) -> None:
        super().__init__(
            f"the store was created for genesis {stored.hex()[:16]}…, "
            f"this node runs genesis {expected.hex()[:16]}…"
        )


def open_genesis(store: TangleStore, genesis: Genesis) -> MilestoneRecord:
    """The latest applied milestone; on an empty store, apply the genesis as milestone 0."""
    first = store.milestone(0)
    if first is None:
        allocations = dict(genesis.allocations)
        state = LedgerState(allocations, genesis.supply, 0)
        record = MilestoneRecord(0, genesis.id, genesis.timestamp_ms, EMPTY_ROOT, state.root(), 0)
        store.apply_milestone(record, (), allocations)
        return record
    if first.message_id != genesis.id:
        raise GenesisMismatch(first.message_id, genesis.id)
    latest = store.latest_milestone()
    assert latest is not None
    return latest


def load_state(store: TangleStore, genesis: Genesis, latest: MilestoneRecord) -> LedgerState:
    """Balances, open holds, and the keys of the transfers and holds applied recently
    enough that a replay could still apply, as of ``latest``."""
    since = latest.timestamp_ms - TRANSFER_TTL_MS
    recent = (decode_message(raw) for raw in store.applied_transfers(since))
    applied = {transfer_key(message): message.issued_at_ms for message in recent}
    holds = [record.hold for record in store.open_holds()]
    return LedgerState(store.balances(), genesis.supply, latest.index, applied=applied, holds=holds)
