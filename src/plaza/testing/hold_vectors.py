"""Held-payment test vectors: the exact bytes ``docs/protocol.md`` publishes for holds.

The network, keys and times are those of :mod:`plaza.testing.vectors`. The state
roots are computed by the ledger's own rules (:class:`LedgerState` applying the
messages' actions), so the document shows what a node computes, and a test
re-derives everything from the text with hashlib and PyNaCl alone.
"""

from __future__ import annotations

from typing import Any

from plaza.crypto import SigningKey
from plaza.ledger.actions import action_of, transfer_key
from plaza.ledger.compose import compose
from plaza.ledger.genesis import Genesis
from plaza.ledger.holds import hashlock_of
from plaza.ledger.model import (
    HoldPayload,
    IssuedPayload,
    Message,
    PayPayload,
    ReleasePayload,
    SettlePayload,
)
from plaza.ledger.pow import Blake2bWork, pow_base, pow_score
from plaza.ledger.state import LedgerState, MilestoneOutcome
from plaza.testing.vectors import VECTOR_TIME_MS, vector_network

__all__ = ["hold_vectors"]

SECRET = bytes(range(32))
AMOUNT = 250
PART = 100
DEADLINE_MS = VECTOR_TIME_MS + 600_000


def _message(
    signer: SigningKey, genesis: Genesis, parent: bytes, offset_ms: int, payload: IssuedPayload
) -> Message:
    return compose(
        signer,
        network_id=genesis.network_id,
        parents=[parent],
        payload=payload,
        issued_at_ms=VECTOR_TIME_MS + offset_ms,
        work=Blake2bWork(8),
    )


def _vector(message: Message) -> dict[str, Any]:
    return {
        "raw": message.raw.hex(),
        "id": message.id.hex(),
        "pow_score": pow_score(pow_base(message.raw[:-8]), message.nonce),
    }


def _apply(state: LedgerState, index: int, message: Message, time_ms: int) -> MilestoneOutcome:
    action = action_of(message)
    assert action is not None
    outcome = state.evaluate(index, [message.id], {message.id: action}, time_ms)
    state.commit(outcome)
    return outcome


def hold_vectors() -> dict[str, Any]:
    """Every vector of docs/protocol.md's hold block, computed from the code."""
    issuer, _, payee, genesis = vector_network()
    payee_address = payee.public_key.address.raw
    lock = HoldPayload(payee_address, AMOUNT, DEADLINE_MS, hashlock_of(SECRET), tag=b"call-1")
    held = _message(issuer, genesis, genesis.id, 1000, lock)
    hold_id = transfer_key(held)
    release = _message(payee, genesis, held.id, 2000, ReleasePayload(hold_id, SECRET))
    refund = SettlePayload(hold_id, 0, data=b"job failed: timeout")
    settle = _message(payee, genesis, held.id, 2000, refund)
    state = LedgerState(dict(genesis.allocations), genesis.supply, 0)
    opened = _apply(state, 1, held, VECTOR_TIME_MS + 3000)
    with_hold = state.canonical_bytes()
    released = _apply(state, 2, release, VECTOR_TIME_MS + 4000)
    pay = _message(issuer, genesis, held.id, 2000, PayPayload(hold_id, PART, data=b"slice 1"))
    part_paid = LedgerState(dict(genesis.allocations), genesis.supply, 0)
    _apply(part_paid, 1, held, VECTOR_TIME_MS + 3000)
    paid = _apply(part_paid, 2, pay, VECTOR_TIME_MS + 4000)
    return {
        "secret": SECRET.hex(),
        "hashlock": hashlock_of(SECRET).hex(),
        "hold_message": {**_vector(held), "hold_id": hold_id.hex()},
        "release_message": _vector(release),
        "settle_message": _vector(settle),
        "state_with_hold": {"index": 1, "bytes": with_hold.hex(), "root": opened.state_root.hex()},
        "state_after_release": {"index": 2, "root": released.state_root.hex()},
        "pay_message": _vector(pay),
        "state_after_part_payment": {
            "index": 2,
            "bytes": part_paid.canonical_bytes().hex(),
            "root": paid.state_root.hex(),
        },
    }


if __name__ == "__main__":  # regenerate the block in docs/protocol.md
    import json

    print(json.dumps(hold_vectors(), indent=2))
