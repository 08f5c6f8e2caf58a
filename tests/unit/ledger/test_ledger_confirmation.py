"""White-flag confirmation: order, cones, conflicts, roots, and milestones that are refused."""

from __future__ import annotations

import pytest
from ledger_support import address_of, advance, advance_to, milestone_on, snapshot

from plaza.crypto import SigningKey
from plaza.ledger.admission import IngestStatus
from plaza.ledger.confirmation import PendingEntry, white_flag_order
from plaza.ledger.merkle import merkle_root
from plaza.ledger.model import (
    ConfirmationState,
    Conflict,
    DataPayload,
    Message,
    MilestonePayload,
    Output,
    TransferPayload,
)
from plaza.ledger.state import Transfer
from plaza.testing import TangleKit, build_tangle
from plaza.testing.builders import key_from_number

ALICE, BOB, CAROL = (key_from_number(n) for n in (10, 11, 12))


def entry(*parents: bytes) -> PendingEntry:
    return PendingEntry(tuple(sorted(parents)), 0, 0, None, b"")


def node(n: int) -> bytes:
    return bytes([n]) * 32


# -- white_flag_order on hand-built DAGs ----------------------------------------------


def test_white_flag_diamond_is_post_order_parents_ascending() -> None:
    confirmed = node(0)  # not pending: already confirmed, so not walked
    a, b, c, d = node(1), node(2), node(3), node(4)
    pending = {a: entry(confirmed), b: entry(a), c: entry(a), d: entry(b, c)}
    assert white_flag_order([d], pending) == [a, b, c, d]


def test_white_flag_parent_order_decides_between_siblings() -> None:
    #     e(9)
    #    /    \
    #  x(5)   y(2)      x and y both approve r(7); e lists y first since 2 < 5.
    #    \    /
    #     r(7)
    r, x, y, e = node(7), node(5), node(2), node(9)
    pending = {r: entry(node(0)), x: entry(r), y: entry(r), e: entry(x, y)}
    assert white_flag_order([e], pending) == [r, y, x, e]


def test_white_flag_wider_dag() -> None:
    # b -> a, c -> (a, f), f -> a, d -> (b, c): expected a, b, f, c, d
    a, b, c, d, f = node(1), node(2), node(3), node(4), node(6)
    pending = {a: entry(node(0)), b: entry(a), f: entry(a), c: entry(a, f), d: entry(b, c)}
    order = white_flag_order([d], pending)
    assert order == [a, b, f, c, d]
    for message_id in order:  # every message after all its pending parents
        for parent in pending[message_id].parents:
            if parent in pending:
                assert order.index(parent) < order.index(message_id)


def test_white_flag_several_roots_and_deep_chain() -> None:
    chain = [node(1)]
    pending = {chain[0]: entry(node(0))}
    for i in range(2, 5000):
        message_id = i.to_bytes(32, "big")
        pending[message_id] = entry(chain[-1])
        chain.append(message_id)
    side = node(250)
    pending[side] = entry(node(0))
    assert white_flag_order([side, chain[-1]], pending) == [side, *chain]
    assert white_flag_order([chain[-1], side], pending) == [*chain, side]
    assert white_flag_order([node(0)], pending) == []


# -- through the tangle ---------------------------------------------------------------


@pytest.fixture
def kit() -> TangleKit:
    kit = build_tangle()
    kit.submit(kit.transfer(kit.faucet, {address_of(ALICE): 100}))
    kit.milestone()
    advance(kit, seconds=1)
    return kit


def data_on(kit: TangleKit, name: bytes, parents: list[bytes]) -> Message:
    return kit.submit(kit.compose(kit.faucet, DataPayload(b"wf", name), parents=parents))


def transfer_on(
    kit: TangleKit, payer: SigningKey, payees: dict[bytes, int], parents: list[bytes]
) -> Message:
    outputs = tuple(Output(a, v) for a, v in sorted(payees.items()))
    return kit.submit(kit.compose(payer, TransferPayload(outputs), parents=parents))


def test_milestone_confirms_exactly_its_cone_in_white_flag_order(kit: TangleKit) -> None:
    tangle = kit.tangle
    root = tangle.latest_milestone.message_id
    a = data_on(kit, b"a", [root])
    b = data_on(kit, b"b", [a.id])
    c = data_on(kit, b"c", [a.id])
    d = data_on(kit, b"d", sorted([b.id, c.id]))
    outside = data_on(kit, b"outside", [root])
    first, second = sorted([b.id, c.id])
    expected = [a.id, first, second, d.id]

    outcome, _ = tangle.prepare_milestone([d.id], kit.clock.now_ms())
    assert outcome.inclusion_root == merkle_root(expected)
    assert [i for i, _ in outcome.confirmed] == expected

    before = tangle.statistics()["latest_milestone"]
    milestone = kit.submit(milestone_on(kit, [d.id]))
    record = tangle.latest_milestone
    assert record.index == before + 1
    assert record.message_id == milestone.id
    assert record.inclusion_root == merkle_root(expected)
    assert record.confirmed_count == 4
    assert record.state_root == tangle.state_root()
    assert tangle.milestone(record.index) == record
    for message_id in (*expected, milestone.id):
        metadata = tangle.metadata(message_id)
        assert metadata.milestone_index == record.index
        assert metadata.state is ConfirmationState.CONFIRMED
    assert tangle.metadata(outside.id).state is ConfirmationState.PENDING

    # The next milestone confirms what is left, and never re-confirms the old cone.
    kit.milestone()
    assert tangle.metadata(outside.id).milestone_index == record.index + 1
    assert tangle.metadata(a.id).milestone_index == record.index


def test_overdrawing_transfer_is_conflicting_and_changes_no_balance(kit: TangleKit) -> None:
    tangle = kit.tangle
    balances = tangle.balances()
    overdraw = kit.submit(kit.transfer(ALICE, {address_of(BOB): 101}))
    kit.milestone()
    metadata = tangle.metadata(overdraw.id)
    assert metadata.state is ConfirmationState.CONFLICTING
    assert metadata.conflict is Conflict.INSUFFICIENT_FUNDS
    assert tangle.balances() == balances
    assert tangle.balance(address_of(BOB)) == 0


def test_transfers_that_together_overdraw_apply_in_white_flag_order(kit: TangleKit) -> None:
    tangle = kit.tangle
    root = tangle.latest_milestone.message_id
    to_bob = transfer_on(kit, ALICE, {address_of(BOB): 60}, [root])
    to_carol = transfer_on(kit, ALICE, {address_of(CAROL): 60}, [root])
    parents = sorted([to_bob.id, to_carol.id])
    kit.submit(milestone_on(kit, parents))
    winner, loser = parents  # white flag walks parents in ascending order
    assert tangle.metadata(winner).state is ConfirmationState.CONFIRMED
    assert tangle.metadata(loser).state is ConfirmationState.CONFLICTING
    assert tangle.balance(address_of(ALICE)) == 40
    paid = {to_bob.id: address_of(BOB), to_carol.id: address_of(CAROL)}
    assert tangle.balance(paid[winner]) == 60
    assert tangle.balance(paid[loser]) == 0
    assert sum(tangle.balances().values()) == tangle.genesis.supply


def test_paying_oneself_and_several_outputs(kit: TangleKit) -> None:
    tangle = kit.tangle
    kit.submit(kit.transfer(ALICE, {address_of(ALICE): 70, address_of(BOB): 30}))
    kit.milestone()
    assert tangle.balance(address_of(ALICE)) == 70
    assert tangle.balance(address_of(BOB)) == 30
    # Paying oneself still needs the funds for the whole total.
    greedy = kit.submit(kit.transfer(ALICE, {address_of(ALICE): 71}))
    kit.milestone()
    assert tangle.metadata(greedy.id).state is ConfirmationState.CONFLICTING
    assert tangle.balance(address_of(ALICE)) == 70


def test_spending_everything_removes_the_address(kit: TangleKit) -> None:
    tangle = kit.tangle
    kit.submit(kit.transfer(ALICE, {address_of(BOB): 100}))
    kit.milestone()
    assert address_of(ALICE) not in tangle.balances()
    assert tangle.statistics()["addresses"] == 2


@pytest.mark.parametrize("field", ["state_root", "inclusion_root"])
def test_milestone_with_a_wrong_root_is_not_applied(kit: TangleKit, field: str) -> None:
    tangle = kit.tangle
    transfer = kit.submit(kit.transfer(ALICE, {address_of(BOB): 10}))
    before = snapshot(tangle)
    balances = tangle.balances()
    if field == "state_root":
        bad = milestone_on(kit, [transfer.id], state_root=bytes(32))
    else:
        bad = milestone_on(kit, [transfer.id], inclusion_root=bytes(32))
    assert tangle.submit(bad.raw).status is IngestStatus.STORED  # well signed: stored
    statistics = tangle.statistics()
    assert statistics["invalid_milestones"] == before.statistics["invalid_milestones"] + 1
    assert tangle.latest_milestone == before.latest
    assert tangle.state_root() == before.state_root
    assert tangle.balances() == balances
    assert tangle.metadata(transfer.id).state is ConfirmationState.PENDING
    assert tangle.metadata(bad.id).state is ConfirmationState.PENDING

    kit.milestone()  # the real one, with the same index, still applies
    assert tangle.latest_milestone.index == before.latest.index + 1
    assert tangle.metadata(transfer.id).state is ConfirmationState.CONFIRMED
    assert tangle.balance(address_of(BOB)) == 10


def test_milestone_with_a_wrong_previous_or_index_is_not_applied(kit: TangleKit) -> None:
    tangle = kit.tangle
    latest = tangle.latest_milestone
    wrong_previous = milestone_on(kit, tangle.select_parents(), previous=bytes(32))
    tangle.submit(wrong_previous.raw)
    assert tangle.latest_milestone == latest
    assert tangle.statistics()["invalid_milestones"] == 1
    skipping = milestone_on(kit, tangle.select_parents(), index=latest.index + 2)
    tangle.submit(skipping.raw)
    assert tangle.latest_milestone == latest  # waits for an index that never comes
    kit.milestone()
    assert tangle.latest_milestone.index == latest.index + 1
    kit.milestone()
    assert tangle.latest_milestone.index == latest.index + 2
    assert tangle.latest_milestone.message_id != skipping.id


def test_a_bad_milestone_cannot_push_out_a_good_one_of_the_same_index() -> None:
    """Regression: the second milestone attached for an index overwrote the first."""
    a = build_tangle()
    genesis = a.tangle.genesis.id
    bad = milestone_on(a, [genesis], state_root=bytes(32))  # well signed, wrong state root
    good = a.milestone()
    assert isinstance(bad.payload, MilestonePayload)
    assert isinstance(good.payload, MilestonePayload)
    assert bad.payload.index == good.payload.index == 1
    assert bad.parents == good.parents == (genesis,)

    b = build_tangle()  # the good one first, the bad one attached after it in the same batch
    results = b.tangle.ingest([good.raw, bad.raw])
    assert [r.status for r in results] == [IngestStatus.STORED, IngestStatus.STORED]
    assert b.tangle.latest_milestone.message_id == good.id
    assert b.tangle.ledger_state_bytes() == a.tangle.ledger_state_bytes()

    c = build_tangle()  # the bad one first: it is tried, refused, and the good one applies
    c.tangle.ingest([bad.raw, good.raw])
    assert c.tangle.latest_milestone.message_id == good.id
    assert c.tangle.statistics()["invalid_milestones"] == 1


def test_milestones_arriving_out_of_order_apply_in_index_order(kit: TangleKit) -> None:
    tangle = kit.tangle
    root = tangle.latest_milestone.message_id
    x = data_on(kit, b"x", [root])
    first = kit.submit(milestone_on(kit, [x.id]))
    y = data_on(kit, b"y", [root])  # not above the first milestone
    second = kit.submit(milestone_on(kit, [y.id]))
    assert tangle.latest_milestone.message_id == second.id
    milestones = [tangle.get_message(tangle.milestone(i).message_id) for i in (1, 2, 3)]
    assert milestones[1:] == [first, second]
    everything = [*kit.issued, milestones[0]]

    other = build_tangle()
    advance_to(other, kit.clock.now_ms())
    for message in everything:
        if message not in (first, second, x):
            other.tangle.submit(message.raw)
    assert other.tangle.latest_milestone.index == 1
    assert other.tangle.submit(second.raw).status is IngestStatus.STORED  # waits for index 2
    assert other.tangle.latest_milestone.index == 1
    assert other.tangle.submit(first.raw).status is IngestStatus.HELD  # x is missing
    other.tangle.submit(x.raw)
    assert other.tangle.latest_milestone.message_id == second.id
    assert other.tangle.ledger_state_bytes() == tangle.ledger_state_bytes()
    for message in everything:
        assert other.tangle.metadata(message.id) == tangle.metadata(message.id)


def test_prepare_milestone_changes_nothing(kit: TangleKit) -> None:
    tangle = kit.tangle
    kit.submit(kit.transfer(ALICE, {address_of(BOB): 5}))
    before = snapshot(tangle)
    outcome, _ = tangle.prepare_milestone(tangle.select_parents(8), kit.clock.now_ms())
    assert outcome.index == before.latest.index + 1
    assert snapshot(tangle) == before


def test_state_evaluate_marks_each_overdraw() -> None:
    from plaza.ledger.state import LedgerState

    state = LedgerState({node(1): 10}, 10, 0)
    spend = {
        node(10): Transfer(node(1), (Output(node(2), 6),), node(20), 0),
        node(11): Transfer(node(1), (Output(node(3), 6),), node(21), 0),
        node(12): Transfer(node(2), (Output(node(3), 6),), node(22), 0),
    }
    outcome = state.evaluate(1, [node(10), node(11), node(12)], spend, 1000)
    assert outcome.confirmed == (
        (node(10), Conflict.NONE),
        (node(11), Conflict.INSUFFICIENT_FUNDS),
        (node(12), Conflict.NONE),
    )
    assert outcome.changed_balances == {node(1): 4, node(2): 0, node(3): 6}
    assert state.balances() == {node(1): 10}  # evaluate is a dry run
    state.commit(outcome)
    assert state.balances() == {node(1): 4, node(3): 6}
    assert state.root() == outcome.state_root
