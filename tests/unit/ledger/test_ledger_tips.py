"""Uniform random tip selection: distinct tips, lazy ones pruned, and the milestone fallback."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_support import milestone_on

from plaza.ledger.model import DataPayload
from plaza.ledger.tips import TipPool
from plaza.testing import build_tangle


def tip(n: int) -> bytes:
    return n.to_bytes(32, "big")


@settings(max_examples=50, deadline=None)
@given(
    count=st.integers(1, 20),
    size=st.integers(0, 30),
    seed=st.integers(0, 2**32),
)
def test_select_returns_distinct_tips(count: int, size: int, seed: int) -> None:
    pool = TipPool(rng=random.Random(seed))
    for n in range(size):
        pool.add(tip(n), [], 0)
    chosen = pool.select(count, 0)
    assert len(chosen) == min(count, size)
    assert len(set(chosen)) == len(chosen)
    assert all(t in pool for t in chosen)
    # The same seed makes the same choice.
    again = TipPool(rng=random.Random(seed))
    for n in reversed(range(size)):
        again.add(tip(n), [], 0)
    assert again.select(count, 0) == chosen


def test_a_new_message_replaces_the_tips_it_approves() -> None:
    pool = TipPool(rng=random.Random(1))
    pool.add(tip(1), [], 0)
    pool.add(tip(2), [], 0)
    pool.add(tip(3), [tip(1), tip(2)], 0)
    assert sorted(pool.select(8, 0)) == [tip(3)]
    assert len(pool) == 1
    assert pool.statistics() == {"tips": 1}


def test_a_lazy_message_leaves_the_tips_it_approves_in_the_pool() -> None:
    """A chain gone lazy approving a fresh tip: the fresh tip stays selectable (a milestone
    will confirm it), the lazy child is pruned."""
    pool = TipPool(rng=random.Random(1), max_depth=3)
    pool.add(tip(1), [], 9, 10)  # a fresh tip: a payment on the latest milestone
    pool.add(tip(2), [tip(1)], 2, 10)  # a message of a chain whose cone roots at 2: lazy
    assert sorted(pool.select(8, 10)) == [tip(1)]
    pool.add(tip(3), [tip(1)], 9, 10)  # a fresh child takes its place, as always
    assert sorted(pool.select(8, 10)) == [tip(3)]


def test_lazy_tips_are_pruned() -> None:
    pool = TipPool(rng=random.Random(1), max_depth=3)
    pool.add(tip(1), [], 0)  # root index 0
    pool.add(tip(2), [], 2)
    pool.add(tip(3), [], 5)
    assert sorted(pool.select(8, 3)) == [tip(1), tip(2), tip(3)]  # floor 0: none lazy
    assert sorted(pool.select(8, 5)) == [tip(2), tip(3)]  # floor 2: root 0 < 2 is lazy
    assert tip(1) not in pool
    assert sorted(pool.select(8, 5)) == [tip(2), tip(3)]
    assert pool.select(8, 9) == []  # floor 6: all lazy
    assert len(pool) == 0


def test_confirmation_makes_a_tip_fresh_again() -> None:
    pool = TipPool(rng=random.Random(1), max_depth=2)
    pool.add(tip(1), [], 0)
    pool.add(tip(2), [], 0)
    pool.confirm([tip(1), tip(9)], 10)  # tip(9) is no tip: ignored
    assert tip(9) not in pool
    assert pool.select(8, 10) == [tip(1)]


def test_the_tip_pool_is_bounded_dropping_the_oldest_root() -> None:
    pool = TipPool(rng=random.Random(1), max_tips=3)
    for n, root in enumerate([5, 1, 7, 6]):
        pool.add(tip(n), [], root)
    assert len(pool) == 3
    assert tip(1) not in pool


def test_select_parents_falls_back_to_the_latest_milestone() -> None:
    kit = build_tangle()
    tangle = kit.tangle
    assert tangle.select_parents() == [tangle.genesis.id]
    milestone = kit.milestone()
    assert tangle.latest_milestone.message_id == milestone.id
    assert tangle.select_parents() == [milestone.id]  # the milestone is the only tip
    a = kit.submit(kit.data(b"a"))
    b = kit.submit(kit.compose(kit.faucet, DataPayload(b"b", b""), parents=[milestone.id]))
    assert sorted(tangle.select_parents(8)) == sorted([a.id, b.id])
    assert len(tangle.select_parents(1)) == 1


def test_tips_no_milestone_confirms_go_lazy_and_are_never_selected() -> None:
    kit = build_tangle()
    tangle = kit.tangle
    kit.milestone()
    stale = kit.submit(kit.data(b"stale"))
    # Milestones that approve only each other leave ``stale`` unconfirmed and lazy.
    for _ in range(17):
        latest = tangle.latest_milestone.message_id
        outcome, _ = tangle.prepare_milestone([latest], kit.clock.now_ms())
        kit.submit(milestone_on(kit, [latest]))
        assert outcome.confirmed == ()
    assert tangle.latest_milestone.index == 18
    assert stale.id not in tangle.select_parents(8)
    assert tangle.select_parents(8) == [tangle.latest_milestone.message_id]


def test_select_takes_the_oldest_tips_first_when_asked() -> None:
    pool = TipPool(rng=random.Random(3))
    for n in range(100):
        pool.add(tip(n), [], 10)
    pool.add(tip(500), [], 4)  # nearest to going lazy
    pool.add(tip(501), [], 6)
    chosen = pool.select(8, 10, oldest=2)
    assert chosen[:2] == [tip(500), tip(501)]
    assert len(set(chosen)) == 8
    assert pool.select(3, 10, oldest=5) == [tip(500), tip(501), tip(0)]  # ties by id


def test_a_tip_nobody_else_approves_is_confirmed_before_it_goes_lazy() -> None:
    """The head of a writer's chain, among many fresh tips each milestone: drawn at random
    alone it would wait out the depth limit unpicked and never be confirmed."""
    kit = build_tangle()
    tangle = kit.tangle
    kit.milestone()
    head = kit.submit(kit.data(b"the chain's head"))
    for round_ in range(20):
        latest = tangle.latest_milestone.message_id
        for n in range(40):
            payload = DataPayload(b"crowd", f"{round_}:{n}".encode())
            kit.submit(kit.compose(kit.faucet, payload, parents=[latest]))
        kit.milestone()
    assert tangle.latest_milestone.index == 21  # past the depth limit of 15
    assert tangle.metadata(head.id).milestone_index is not None, "confirmed, not left lazy"
