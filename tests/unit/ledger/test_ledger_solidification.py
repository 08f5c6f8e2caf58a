"""Held messages: kept until their parents arrive, released solid, or dropped when invalid."""

from __future__ import annotations

import pytest
from ledger_support import assert_absent, is_stored, signed_raw

from plaza.ledger.admission import IngestStatus
from plaza.ledger.codec import decode_message
from plaza.ledger.compose import compose
from plaza.ledger.model import ConfirmationState, DataPayload, Message
from plaza.ledger.solidifier import HeldPolicy, Solidifier
from plaza.testing import TangleKit, build_tangle


@pytest.fixture
def kit() -> TangleKit:
    return build_tangle()


def make(kit: TangleKit, name: bytes, parents: list[bytes], *, at_ms: int | None = None) -> Message:
    return compose(
        kit.faucet,
        network_id=kit.network_id,
        parents=parents,
        payload=DataPayload(b"solid", name),
        issued_at_ms=kit.clock.now_ms() if at_ms is None else at_ms,
        work=kit.work,
    )


def test_child_before_parent_is_held_then_both_are_solid(kit: TangleKit) -> None:
    tangle = kit.tangle
    parent = make(kit, b"parent", [tangle.genesis.id])
    child = make(kit, b"child", [parent.id])

    assert tangle.submit(child.raw).status is IngestStatus.HELD
    metadata = tangle.metadata(child.id)
    assert not metadata.solid
    assert metadata.state is ConfirmationState.HELD
    assert tangle.statistics()["held"] == 1
    assert tangle.statistics()["missing_parents"] == 1
    assert tangle.submit(child.raw).status is IngestStatus.KNOWN  # held counts as known

    assert tangle.submit(parent.raw).status is IngestStatus.STORED
    assert tangle.metadata(parent.id).solid
    assert tangle.metadata(child.id).solid
    assert tangle.metadata(child.id).state is ConfirmationState.PENDING
    statistics = tangle.statistics()
    assert (statistics["held"], statistics["missing_parents"], statistics["pending"]) == (0, 0, 2)
    assert tangle.select_parents(8) == [child.id]  # the parent is approved: not a tip

    kit.milestone()
    assert tangle.metadata(parent.id).state is ConfirmationState.CONFIRMED
    assert tangle.metadata(child.id).state is ConfirmationState.CONFIRMED


def test_a_chain_arriving_backwards_in_one_batch_becomes_solid(kit: TangleKit) -> None:
    tangle = kit.tangle
    chain = [make(kit, b"0", [tangle.genesis.id])]
    for i in range(1, 6):
        chain.append(make(kit, bytes([i]), [chain[-1].id]))
    results = tangle.ingest([m.raw for m in reversed(chain)])
    assert [r.status for r in results] == [IngestStatus.HELD] * 5 + [IngestStatus.STORED]
    assert all(tangle.metadata(m.id).solid for m in chain)
    assert tangle.statistics()["held"] == 0


def test_held_until_every_missing_parent_arrives(kit: TangleKit) -> None:
    tangle = kit.tangle
    left = make(kit, b"left", [tangle.genesis.id])
    right = make(kit, b"right", [tangle.genesis.id])
    child = make(kit, b"child", [left.id, right.id])
    assert tangle.submit(child.raw).status is IngestStatus.HELD
    assert tangle.statistics()["missing_parents"] == 2
    tangle.submit(left.raw)
    assert not tangle.metadata(child.id).solid
    assert tangle.statistics()["missing_parents"] == 1
    tangle.submit(right.raw)
    assert tangle.metadata(child.id).solid


def test_held_child_older_than_its_late_parent_is_dropped_with_its_held_children(
    kit: TangleKit,
) -> None:
    tangle = kit.tangle
    now = kit.clock.now_ms()
    parent = make(kit, b"parent", [tangle.genesis.id], at_ms=now + 1000)
    child = make(kit, b"child", [parent.id], at_ms=now)  # claims to predate its parent
    grandchild = make(kit, b"grandchild", [child.id], at_ms=now)
    bystander = make(kit, b"bystander", [tangle.genesis.id], at_ms=now)

    assert tangle.submit(child.raw).status is IngestStatus.HELD
    assert tangle.submit(grandchild.raw).status is IngestStatus.HELD
    assert tangle.submit(bystander.raw).status is IngestStatus.STORED
    assert tangle.statistics()["held"] == 2

    assert tangle.submit(parent.raw).status is IngestStatus.STORED
    assert_absent(tangle, child.id)
    assert_absent(tangle, grandchild.id)
    assert is_stored(tangle, parent.id)
    assert tangle.children(parent.id) == []
    statistics = tangle.statistics()
    assert (statistics["held"], statistics["missing_parents"]) == (0, 0)
    assert statistics["messages"] == 2
    assert statistics["pending"] == 2
    assert sorted(tangle.select_parents(8)) == sorted([parent.id, bystander.id])

    # Dropped messages are forgotten: sent again, the child is refused outright now.
    with pytest.raises(Exception, match="before its parent"):
        tangle.submit(child.raw)


def test_dropping_forgets_the_other_parents_a_dropped_message_waited_for(
    kit: TangleKit,
) -> None:
    """Regression: a dropped held message left its other missing parents in ``missing()``."""
    tangle = kit.tangle
    now = kit.clock.now_ms()
    parent = make(kit, b"parent", [tangle.genesis.id], at_ms=now + 1000)
    child = make(kit, b"child", [parent.id], at_ms=now)
    never = make(kit, b"never-sent", [tangle.genesis.id], at_ms=now)
    grandchild = make(kit, b"grandchild", [child.id, never.id], at_ms=now)
    tangle.submit(child.raw)
    tangle.submit(grandchild.raw)
    assert tangle.statistics()["missing_parents"] == 2  # parent and never

    tangle.submit(parent.raw)
    assert_absent(tangle, grandchild.id)
    statistics = tangle.statistics()
    assert (statistics["held"], statistics["missing_parents"]) == (0, 0)


def test_solidifier_drop_is_recursive_and_leaves_nothing_behind() -> None:
    solidifier = Solidifier(HeldPolicy(limit=10))
    parent = b"p" * 32
    other = b"o" * 32
    kit = build_tangle()

    def held(name: bytes, parents: list[bytes]) -> Message:
        raw = signed_raw(
            kit.faucet,
            network_id=kit.network_id,
            parents=parents,
            payload=DataPayload(b"t", name),
            issued_at_ms=kit.clock.now_ms(),
        )
        return decode_message(raw)

    child = held(b"child", [parent])
    grandchild = held(b"grandchild", [child.id, other])
    solidifier.hold(child, {parent})
    solidifier.hold(grandchild, {child.id, other})
    assert solidifier.missing() == {parent, other}

    dropped = solidifier.drop(child.id)
    assert {m.id for m in dropped} == {child.id, grandchild.id}
    assert len(solidifier) == 0
    assert solidifier.missing() == set()
    assert solidifier.release(parent) == []
    assert solidifier.release(other) == []


def test_held_messages_do_not_count_as_parents_for_timestamps(kit: TangleKit) -> None:
    """A child of a held message is held too, not checked against a parent time it lacks."""
    tangle = kit.tangle
    grandparent = make(kit, b"gp", [tangle.genesis.id])
    parent = make(kit, b"p", [grandparent.id])
    child = make(kit, b"c", [parent.id])
    assert tangle.submit(parent.raw).status is IngestStatus.HELD
    assert tangle.submit(child.raw).status is IngestStatus.HELD
    assert tangle.statistics()["missing_parents"] == 1  # only the grandparent is asked for
    tangle.submit(grandparent.raw)
    assert all(tangle.metadata(m.id).solid for m in (grandparent, parent, child))
