"""The acceptance properties of the ledger, checked with generated histories.

(a) Order independence: a second node with the same genesis that receives the same
    messages in any order (children before parents get held and released) ends
    with byte-identical ledger state and identical metadata for every message.
(b) Conservation: after every milestone the balances add up to the supply.
(c) A double spend applies at most once: one transfer confirmed, the other conflicting.
(d) A replayed message (the same bytes again) never changes anything.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_support import (
    KEYS,
    SUPPLY,
    address_of,
    advance_to,
    build_history,
    check_conservation,
    operations,
    snapshot,
    with_nonce,
)

from plaza.ledger.admission import IngestStatus
from plaza.ledger.model import ConfirmationState, Output, TransferPayload
from plaza.testing import build_tangle

PROPERTY_SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# -- (a) and (b) ------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(ops=st.lists(operations, min_size=1, max_size=20), data=st.data())
def test_any_delivery_order_gives_the_same_ledger(
    ops: list[tuple[object, ...]], data: st.DataObject
) -> None:
    history = build_history(ops)
    a = history.tangle
    messages = history.messages

    b_kit = build_tangle(supply=SUPPLY)
    b = b_kit.tangle
    assert b.genesis == a.genesis
    advance_to(b_kit, history.kit.clock.now_ms())

    order = data.draw(st.permutations(messages), label="delivery order")
    cuts = data.draw(
        st.lists(st.booleans(), min_size=len(order), max_size=len(order)), label="batch ends"
    )
    replays = data.draw(st.sets(st.sampled_from(messages), max_size=3), label="replays")
    batch: list[bytes] = []
    delivered: set[bytes] = set()
    latest_index = 0
    for message, cut in zip(order, cuts, strict=True):
        batch.append(message.raw)
        if not cut and message is not order[-1]:
            continue
        for result in b.ingest(batch):
            assert result.error is None
            assert result.status in (IngestStatus.STORED, IngestStatus.HELD)
            assert result.message_id is not None
            delivered.add(result.message_id)
        batch = []
        if b.latest_milestone.index != latest_index:
            latest_index = b.latest_milestone.index
            check_conservation(b)  # (b) on the receiving node too
        replayed = [m.raw for m in replays if m.id in delivered]
        if replayed:
            before = snapshot(b)
            assert all(r.status is IngestStatus.KNOWN for r in b.ingest(replayed))
            assert snapshot(b) == before

    statistics = b.statistics()
    assert statistics["held"] == 0
    assert statistics["missing_parents"] == 0
    assert statistics["messages"] == a.statistics()["messages"] == len(messages)
    assert statistics["pending"] == a.statistics()["pending"]
    assert b.latest_milestone == a.latest_milestone
    assert b.latest_milestone.index == history.milestones_applied
    for index in range(history.milestones_applied + 1):
        assert b.milestone(index) == a.milestone(index)
    assert b.ledger_state_bytes() == a.ledger_state_bytes()
    assert b.state_root() == a.state_root()
    assert b.balances() == a.balances()
    for message in messages:
        assert b.metadata(message.id) == a.metadata(message.id)
        assert b.get_message(message.id) == message


# -- (c) ----------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(
    funds=st.integers(1, SUPPLY),
    separate=st.booleans(),
    swap=st.booleans(),
    same_parents=st.booleans(),
)
def test_a_double_spend_applies_once(
    funds: int, separate: bool, swap: bool, same_parents: bool
) -> None:
    kit = build_tangle(supply=SUPPLY)
    tangle = kit.tangle
    alice, bob, carol = KEYS
    payer = address_of(alice)
    kit.submit(kit.transfer(kit.faucet, {payer: funds}))
    milestones = [kit.milestone()]
    assert tangle.balance(payer) == funds

    parents = tangle.select_parents() if same_parents else None
    spends = [
        kit.compose(
            alice, TransferPayload((Output(address_of(payee), funds),), tag), parents=parents
        )
        for payee, tag in ((bob, b"1"), (carol, b"2"))
    ]
    if swap:
        spends.reverse()
    kit.submit(spends[0])
    if separate:
        milestones.append(kit.milestone())
        check_conservation(tangle)
        assert tangle.balance(payer) == 0
    kit.submit(spends[1])
    milestones.append(kit.milestone())
    check_conservation(tangle)

    states = [tangle.metadata(spend.id).state for spend in spends]
    assert sorted(states) == sorted([ConfirmationState.CONFIRMED, ConfirmationState.CONFLICTING])
    if separate:
        assert states == [ConfirmationState.CONFIRMED, ConfirmationState.CONFLICTING]
    winner = spends[states.index(ConfirmationState.CONFIRMED)]
    assert isinstance(winner.payload, TransferPayload)
    winner_payee = winner.payload.outputs[0].address
    assert tangle.balance(winner_payee) == funds
    assert tangle.balance(payer) == 0
    assert tangle.balance(address_of(bob)) + tangle.balance(address_of(carol)) == funds

    # Another node that sees everything in reverse agrees on the winner.
    other = build_tangle(supply=SUPPLY)
    advance_to(other, kit.clock.now_ms())
    for message in reversed([*kit.issued, *milestones]):
        other.tangle.submit(message.raw)
    for spend in spends:
        assert other.tangle.metadata(spend.id) == tangle.metadata(spend.id)
    assert other.tangle.ledger_state_bytes() == tangle.ledger_state_bytes()


# -- (d) ----------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(
    funds=st.integers(2, SUPPLY),
    share=st.floats(0.01, 1.0),
    replays_before=st.integers(0, 3),
    replays_after=st.integers(1, 3),
    in_batch=st.booleans(),
)
def test_a_replayed_message_never_changes_balances(
    funds: int, share: float, replays_before: int, replays_after: int, in_batch: bool
) -> None:
    kit = build_tangle(supply=SUPPLY)
    tangle = kit.tangle
    alice, bob, _ = KEYS
    funding = kit.submit(kit.transfer(kit.faucet, {address_of(alice): funds}))
    amount = max(1, int(funds * share))
    payment = kit.submit(kit.transfer(alice, {address_of(bob): amount}))

    def replay(times: int) -> None:
        before = snapshot(tangle)
        balances = tangle.balances()
        raws = [funding.raw, payment.raw] * times
        results = tangle.ingest(raws) if in_batch else [tangle.submit(r) for r in raws]
        assert all(r.status is IngestStatus.KNOWN for r in results)
        assert snapshot(tangle) == before
        assert tangle.balances() == balances

    replay(replays_before)  # pending
    kit.milestone()
    expected = tangle.balances()
    assert tangle.balance(address_of(bob)) == amount
    replay(replays_after)  # confirmed
    kit.milestone()
    replay(replays_after)
    assert tangle.balances() == expected
    check_conservation(tangle)


def test_a_transfer_replayed_with_another_nonce_applies_once() -> None:
    kit = build_tangle(supply=SUPPLY)
    tangle = kit.tangle
    alice, bob, _ = KEYS
    kit.submit(kit.transfer(kit.faucet, {address_of(alice): 500}))
    kit.milestone()
    payment = kit.submit(kit.transfer(alice, {address_of(bob): 100}))
    replay = with_nonce(payment.raw, payment.nonce + 1)  # anyone can do this: no key needed
    tangle.ingest([replay])
    kit.milestone()
    assert tangle.balance(address_of(bob)) == 100
