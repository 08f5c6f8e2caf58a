"""The TangleStore contract for holds: memory, SQLite and PostgreSQL keep them alike.

A hold is stored when a milestone opens it and updated once when one closes it;
the open ones are what a node reloads at startup, and a closed one stays
readable with how it closed.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from tangle_backends import Backend
from tangle_builders import ALICE, BOB, CAROL, ROOT, record, solid, transfer

from plaza.ledger.codec import assemble, encode_essence
from plaza.ledger.holds import Hold, HoldRecord, HoldStatus
from plaza.ledger.model import Conflict, HoldPayload, Message, PayPayload
from plaza.ledger.ports import TangleStore
from plaza.storage import StorageError

LOCKED = Hold(b"h" * 32, ALICE, BOB, 40, 20_000, b"l" * 32, b"")
ARBITRATED = Hold(b"a" * 32, ALICE, CAROL, 7, 30_000, b"", BOB)


def opened(hold: Hold, index: int = 1) -> HoldRecord:
    return HoldRecord(hold, HoldStatus.OPEN, index)


def hold_message(issued_at: int) -> Message:
    payload = HoldPayload(BOB, 5, issued_at + 1_000)
    essence = encode_essence(
        network_id=7, parents=[ROOT], issuer=bytes(32), issued_at_ms=issued_at, payload=payload
    )
    return assemble(essence, signature=bytes(64), nonce=0)


def test_opened_holds_are_stored_and_listed_by_id(store: TangleStore) -> None:
    assert store.open_holds() == []
    assert store.hold(LOCKED.id) is None
    store.apply_milestone(record(1), [], {ALICE: 53}, [opened(LOCKED), opened(ARBITRATED)])
    assert store.open_holds() == [opened(ARBITRATED), opened(LOCKED)]
    assert store.hold(LOCKED.id) == opened(LOCKED)


@pytest.mark.parametrize(
    ("status", "to_payee", "by"),
    [
        (HoldStatus.RELEASED, 40, b"r" * 32),
        (HoldStatus.SETTLED, 13, b"s" * 32),
        (HoldStatus.EXPIRED, 0, None),
    ],
)
def test_a_closed_hold_leaves_the_open_list_and_says_how(
    store: TangleStore, status: HoldStatus, to_payee: int, by: bytes | None
) -> None:
    store.apply_milestone(record(1), [], {ALICE: 60}, [opened(LOCKED), opened(ARBITRATED)])
    closed = HoldRecord(replace(LOCKED, paid=to_payee), status, 1, 2, by)
    store.apply_milestone(record(2), [], {ALICE: 60 + 40 - to_payee, BOB: to_payee}, [closed])
    assert store.open_holds() == [opened(ARBITRATED)]
    found = store.hold(LOCKED.id)
    assert found == closed
    assert found.refunded == 40 - to_payee


def test_a_hold_opened_and_closed_in_one_milestone(store: TangleStore) -> None:
    closed = HoldRecord(replace(LOCKED, paid=40), HoldStatus.RELEASED, 1, 1, b"r" * 32)
    store.apply_milestone(record(1), [], {BOB: 40}, [closed])
    assert store.open_holds() == []
    assert store.hold(LOCKED.id) == closed


def test_holds_are_written_with_the_milestone_or_not_at_all(store: TangleStore) -> None:
    store.apply_milestone(record(1), [], {ALICE: 10})
    with pytest.raises(StorageError):  # the milestone row collides: nothing of it stays
        store.apply_milestone(record(1), [], {ALICE: 3}, [opened(LOCKED)])
    assert store.open_holds() == []
    assert store.hold(LOCKED.id) is None
    too_big = Hold(b"x" * 32, ALICE, BOB, 2**63, 1, b"", b"")
    with pytest.raises(StorageError):
        store.apply_milestone(record(2), [], {}, [opened(too_big)])
    assert store.hold(too_big.id) is None
    assert store.latest_milestone() == record(1)


def test_applied_holds_are_reloaded_for_replay_protection(store: TangleStore) -> None:
    paid, held, refused = transfer(BOB, 1), hold_message(2_000), hold_message(3_000)
    store.add_messages(solid(paid, held, refused))
    confirmed = [
        (paid.id, Conflict.NONE),
        (held.id, Conflict.NONE),
        (refused.id, Conflict.INSUFFICIENT_FUNDS),
    ]
    store.apply_milestone(record(1), confirmed, {})
    assert store.applied_transfers(0) == [paid.raw, held.raw]
    assert store.applied_transfers(1_500) == [held.raw]


def test_holds_survive_reopening(backend: Backend) -> None:
    if not backend.persistent:
        pytest.skip(f"{backend.name} keeps nothing across close")
    store = backend.open()
    closed = HoldRecord(replace(ARBITRATED, paid=2), HoldStatus.SETTLED, 1, 1, b"s" * 32)
    store.apply_milestone(record(1), [], {ALICE: 5}, [opened(LOCKED), closed])
    store.close()
    reopened = backend.open()
    assert reopened.open_holds() == [opened(LOCKED)]
    assert reopened.hold(ARBITRATED.id) == closed


def test_a_part_paid_hold_stays_open_with_what_it_paid(store: TangleStore) -> None:
    store.apply_milestone(record(1), [], {ALICE: 60}, [opened(ARBITRATED)])
    part_paid = opened(replace(ARBITRATED, paid=3))
    store.apply_milestone(record(2), [], {CAROL: 3}, [part_paid])
    assert store.open_holds() == [part_paid]
    found = store.hold(ARBITRATED.id)
    assert found == part_paid
    assert (found.to_payee, found.remaining, found.refunded) == (3, 4, 0)
    closed = HoldRecord(replace(ARBITRATED, paid=5), HoldStatus.SETTLED, 1, 3, b"s" * 32)
    store.apply_milestone(record(3), [], {CAROL: 5, ALICE: 62}, [closed])
    assert store.open_holds() == []
    found = store.hold(ARBITRATED.id)
    assert found == closed
    assert (found.to_payee, found.remaining, found.refunded) == (5, 0, 2)


def test_a_part_paid_hold_survives_reopening(backend: Backend) -> None:
    if not backend.persistent:
        pytest.skip(f"{backend.name} keeps nothing across close")
    store = backend.open()
    store.apply_milestone(record(1), [], {ALICE: 5}, [opened(ARBITRATED)])
    part_paid = opened(replace(ARBITRATED, paid=6))
    store.apply_milestone(record(2), [], {CAROL: 6}, [part_paid])
    store.close()
    reopened = backend.open()
    assert reopened.open_holds() == [part_paid]
    assert reopened.open_holds()[0].hold.remaining == 1


def test_applied_part_payments_are_reloaded_for_replay_protection(store: TangleStore) -> None:
    payload = PayPayload(ARBITRATED.id, 2, data=b"slice 1")
    essence = encode_essence(
        network_id=7, parents=[ROOT], issuer=bytes(32), issued_at_ms=4_000, payload=payload
    )
    paid = assemble(essence, signature=bytes(64), nonce=0)
    store.add_messages(solid(paid))
    store.apply_milestone(record(1), [(paid.id, Conflict.NONE)], {})
    assert store.applied_transfers(0) == [paid.raw]
