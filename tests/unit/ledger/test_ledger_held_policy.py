"""The held set is shared fairly: per-submitter shares, room taken from the largest holder,
a time to live, and a restart that brings back no more than one share (issue 16, item 2).

The attack these reproduce: one client floods the node with orphans (messages whose
parents nobody has) until the held set is full; before the shares, every later
out-of-order message, a legitimate client's or a peer's catch-up, was refused, and a
restart brought the full set back.
"""

from __future__ import annotations

import pytest
from ledger_support import START_MS

from plaza.ledger.admission import IngestStatus
from plaza.ledger.errors import HeldLimitReached
from plaza.ledger.model import DataPayload, Message
from plaza.ledger.solidifier import LOCAL, HeldPolicy, Solidifier, Submitter
from plaza.storage import MemoryTangleStore
from plaza.testing import FakeClock, TangleKit, build_tangle

ATTACKER = Submitter.client("127.0.0.66")
VICTIM = Submitter.client("127.0.0.7")
PEER = Submitter.peer(b"\x01" * 32)
POLICY = HeldPolicy(limit=6, per_client=4, per_peer=5, ttl_ms=60_000)


def orphans(kit: TangleKit, count: int, name: bytes = b"orphan") -> list[Message]:
    """Messages approving parents that do not exist: held until they expire."""
    return [
        kit.compose(kit.faucet, DataPayload(name, b"%d" % i), parents=[bytes([i + 1]) * 32])
        for i in range(count)
    ]


def out_of_order(kit: TangleKit) -> tuple[Message, Message]:
    """A legitimate parent and child; the child is sent first."""
    parent = kit.data(b"parent")
    child = kit.compose(kit.faucet, DataPayload(b"child", b""), parents=[parent.id])
    return parent, child


def flood(kit: TangleKit, sender: Submitter, messages: list[Message]) -> list[IngestStatus]:
    return [result.status for result in kit.tangle.ingest([m.raw for m in messages], sender)]


def test_a_flood_fills_only_its_senders_share() -> None:
    kit = build_tangle(held=POLICY)
    statuses = flood(kit, ATTACKER, orphans(kit, 6))
    assert statuses == [IngestStatus.HELD] * 4 + [IngestStatus.REJECTED] * 2
    refused = kit.tangle.ingest([orphans(kit, 7)[6].raw], ATTACKER)[0].error
    assert isinstance(refused, HeldLimitReached)
    assert refused.submitter == str(ATTACKER)

    parent, child = out_of_order(kit)
    assert kit.tangle.submit(child.raw, VICTIM).status is IngestStatus.HELD
    assert kit.tangle.submit(parent.raw, VICTIM).status is IngestStatus.STORED
    assert kit.tangle.statistics()["held"] == 4  # the child was released; the flood waits


def test_a_full_set_makes_room_from_the_largest_holder() -> None:
    """Several floods fill the whole set; a peer holding less still gets in, and the
    largest holder's oldest orphan leaves the store."""
    kit = build_tangle(held=POLICY)
    first = orphans(kit, 4, b"a")
    flood(kit, ATTACKER, first)
    flood(kit, Submitter.client("127.0.0.67"), orphans(kit, 2, b"b"))
    assert kit.tangle.statistics()["held"] == POLICY.limit

    parent, child = out_of_order(kit)
    assert kit.tangle.submit(child.raw, PEER).status is IngestStatus.HELD
    assert kit.tangle.statistics()["held"] == POLICY.limit
    assert kit.tangle.get_raw(first[0].id) is None  # the oldest of the largest share
    assert kit.tangle.submit(parent.raw, PEER).status is IngestStatus.STORED
    assert kit.tangle.get_raw(child.id) is not None
    assert kit.tangle.statistics()["held"] == 5


def test_no_room_when_the_sender_already_holds_the_most() -> None:
    kit = build_tangle(held=HeldPolicy(limit=4, per_client=4, per_peer=4, ttl_ms=60_000))
    flood(kit, ATTACKER, orphans(kit, 3))
    flood(kit, VICTIM, orphans(kit, 1, b"v"))
    with pytest.raises(HeldLimitReached):
        kit.tangle.submit(orphans(kit, 4)[3].raw, ATTACKER)


def test_held_messages_expire_and_leave_the_store() -> None:
    kit = build_tangle(held=POLICY)
    flood(kit, ATTACKER, orphans(kit, 4))
    clock = kit.clock
    assert isinstance(clock, FakeClock)
    clock.advance(ms=POLICY.ttl_ms - 1)
    with pytest.raises(HeldLimitReached):
        kit.tangle.submit(orphans(kit, 5)[4].raw, ATTACKER)
    clock.advance(ms=1)
    _parent, child = out_of_order(kit)
    assert kit.tangle.submit(child.raw, ATTACKER).status is IngestStatus.HELD
    assert kit.tangle.statistics()["held"] == 1
    assert kit.tangle.statistics()["messages"] == 1


def test_a_restart_brings_back_at_most_one_share() -> None:
    store = MemoryTangleStore()
    kit = build_tangle(store, clock=FakeClock(START_MS), held=POLICY)
    flood(kit, ATTACKER, orphans(kit, 4, b"a"))
    flood(kit, VICTIM, orphans(kit, 2, b"b"))
    assert kit.tangle.statistics()["held"] == 6

    again = build_tangle(store, clock=FakeClock(START_MS), held=POLICY)
    assert again.tangle.statistics()["held"] == POLICY.per_client
    assert again.tangle.statistics()["messages"] == POLICY.per_client
    _parent, child = out_of_order(again)
    assert again.tangle.submit(child.raw, VICTIM).status is IngestStatus.HELD


def test_the_node_itself_shares_the_whole_limit() -> None:
    solidifier = Solidifier(POLICY)
    assert POLICY.quota(LOCAL) == POLICY.limit
    assert POLICY.quota(PEER) == POLICY.per_peer
    solidifier.check_room(LOCAL, own_extra=POLICY.limit - 1, extra=POLICY.limit - 1)
    with pytest.raises(HeldLimitReached):
        solidifier.check_room(VICTIM, own_extra=POLICY.per_client)


def test_a_policy_with_a_zero_bound_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        HeldPolicy(limit=0)
