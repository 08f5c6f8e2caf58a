"""Part payments of a hold on a real tangle: who may pay how much, and what closing leaves.

A part payment pays the payee and keeps the rest held with the same deadline;
whatever closes the hold later moves only what remains. Each refused case is a
conflicting message that changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ledger_support import START_MS, SUPPLY, address_of, advance, with_nonce
from test_ledger_holds import (
    ALICE,
    BOB,
    CAROL,
    MINUTE,
    Recorder,
    balances,
    check_supply,
    conflict,
    funded,
    opened,
    release,
    restart,
    settle,
)

from plaza.crypto import SigningKey
from plaza.ledger.actions import transfer_key
from plaza.ledger.events import LedgerEvent, MessageConfirmed
from plaza.ledger.holds import HoldStatus
from plaza.ledger.model import Conflict, Message, PayPayload
from plaza.storage.sqlite import SqliteTangleStore
from plaza.testing import FakeClock, TangleKit, build_tangle


def pay(kit: TangleKit, held: Message, by: SigningKey, amount: int) -> Message:
    payload = PayPayload(transfer_key(held), amount, data=b"slice")
    return kit.submit(kit.compose(by, payload))


def test_a_part_payment_pays_the_payee_and_keeps_the_rest_held() -> None:
    kit = funded()
    held = opened(kit, arbiter=CAROL)
    paid = pay(kit, held, CAROL, 50)
    kit.milestone()
    assert conflict(kit.tangle, paid) is Conflict.NONE
    record = kit.tangle.hold(transfer_key(held))
    assert (record.status, record.to_payee, record.remaining) == (HoldStatus.OPEN, 50, 150)
    assert (record.refunded, record.closed_by) == (0, None)
    assert balances(kit.tangle) == (300, 50, 0)
    assert kit.tangle.held() == 150
    check_supply(kit.tangle)


def test_the_confirmation_of_a_part_payment_names_the_holds_payer_and_payee() -> None:
    events: list[LedgerEvent] = []
    kit = build_tangle(supply=SUPPLY, clock=FakeClock(START_MS), events=Recorder(events))
    kit.submit(kit.transfer(kit.faucet, {address_of(ALICE): 500}))
    kit.milestone()
    held = opened(kit, arbiter=CAROL)
    paid = pay(kit, held, CAROL, 10)  # signed by Carol, naming only the hold id
    kit.milestone()
    [confirmed] = [e for e in events if isinstance(e, MessageConfirmed) and e.message_id == paid.id]
    assert confirmed.addresses == (address_of(ALICE), address_of(BOB))


@pytest.mark.parametrize(
    ("by", "allowed"),
    [(CAROL, True), (ALICE, True), (BOB, False)],  # the arbiter, the payer; never the payee
)
def test_who_may_pay_in_part(by: SigningKey, allowed: bool) -> None:
    kit = funded()
    held = opened(kit, arbiter=CAROL)
    paid = pay(kit, held, by, 30)
    kit.milestone()
    expected = Conflict.NONE if allowed else Conflict.NOT_ALLOWED
    assert conflict(kit.tangle, paid) is expected
    assert balances(kit.tangle) == (300, 30 if allowed else 0, 0)
    check_supply(kit.tangle)


def test_without_an_arbiter_a_stranger_may_not_pay_in_part() -> None:
    kit = funded()
    held = opened(kit)
    paid = pay(kit, held, CAROL, 1)
    kit.milestone()
    assert conflict(kit.tangle, paid) is Conflict.NOT_ALLOWED
    assert kit.tangle.hold(transfer_key(held)).remaining == 200


def test_no_part_payment_pays_more_than_remains() -> None:
    kit = funded()
    held = opened(kit, arbiter=CAROL)
    pay(kit, held, CAROL, 150)
    kit.milestone()
    over = pay(kit, held, CAROL, 51)
    kit.milestone()
    assert conflict(kit.tangle, over) is Conflict.NOT_ALLOWED
    exactly = pay(kit, held, CAROL, 50)
    kit.milestone()
    assert conflict(kit.tangle, exactly) is Conflict.NONE
    record = kit.tangle.hold(transfer_key(held))
    assert (record.status, record.to_payee, record.remaining) == (HoldStatus.OPEN, 200, 0)
    assert balances(kit.tangle) == (300, 200, 0)
    check_supply(kit.tangle)


def test_two_part_payments_in_one_milestone_cannot_overpay() -> None:
    kit = funded()
    held = opened(kit, arbiter=CAROL)
    first, second = pay(kit, held, CAROL, 120), pay(kit, held, ALICE, 120)
    kit.milestone()
    outcomes = {conflict(kit.tangle, first), conflict(kit.tangle, second)}
    assert outcomes == {Conflict.NONE, Conflict.NOT_ALLOWED}  # white-flag order picks which
    assert balances(kit.tangle) == (300, 120, 0)
    check_supply(kit.tangle)


def test_a_reattached_part_payment_pays_once() -> None:
    kit = funded()
    held = opened(kit, arbiter=CAROL)
    paid = pay(kit, held, CAROL, 40)
    [again] = kit.tangle.ingest([with_nonce(paid.raw, paid.nonce + 1)])
    kit.milestone()
    assert again.message_id is not None
    either = {conflict(kit.tangle, paid), kit.tangle.metadata(again.message_id).conflict}
    assert either == {Conflict.NONE, Conflict.REPLAYED}
    assert balances(kit.tangle) == (300, 40, 0)


def test_a_settlement_after_part_payments_splits_only_what_remains() -> None:
    kit = funded()
    held = opened(kit, arbiter=CAROL)
    pay(kit, held, CAROL, 60)
    kit.milestone()
    too_much = settle(kit, held, CAROL, 141)  # 60 + 141 > 200
    kit.milestone()
    assert conflict(kit.tangle, too_much) is Conflict.NOT_ALLOWED
    settled = settle(kit, held, CAROL, 40)
    kit.milestone()
    assert conflict(kit.tangle, settled) is Conflict.NONE
    record = kit.tangle.hold(transfer_key(held))
    assert (record.status, record.to_payee, record.refunded) == (HoldStatus.SETTLED, 100, 100)
    assert balances(kit.tangle) == (400, 100, 0)
    check_supply(kit.tangle)


@pytest.mark.parametrize(("by", "to_payee"), [(BOB, 0), (ALICE, 140)])
def test_the_payee_refunds_and_the_payer_pays_what_remains(by: SigningKey, to_payee: int) -> None:
    kit = funded()
    held = opened(kit, arbiter=CAROL)
    pay(kit, held, CAROL, 60)
    kit.milestone()
    settled = settle(kit, held, by, to_payee)
    kit.milestone()
    assert conflict(kit.tangle, settled) is Conflict.NONE
    assert balances(kit.tangle) == (300 + 140 - to_payee, 60 + to_payee, 0)
    check_supply(kit.tangle)


def test_a_release_after_a_part_payment_pays_what_remains() -> None:
    kit = funded()
    held = opened(kit)  # locked, no arbiter: the payer pays in part
    pay(kit, held, ALICE, 25)
    kit.milestone()
    release(kit, held)
    kit.milestone()
    record = kit.tangle.hold(transfer_key(held))
    assert (record.status, record.to_payee, record.refunded) == (HoldStatus.RELEASED, 200, 0)
    assert balances(kit.tangle) == (300, 200, 0)
    check_supply(kit.tangle)


def test_the_deadline_refunds_only_what_remains() -> None:
    kit = funded()
    held = opened(kit, arbiter=CAROL, expires_in_ms=MINUTE)
    pay(kit, held, CAROL, 70)
    kit.milestone()
    advance(kit, ms=MINUTE)
    kit.milestone()
    record = kit.tangle.hold(transfer_key(held))
    assert (record.status, record.to_payee, record.refunded) == (HoldStatus.EXPIRED, 70, 130)
    assert balances(kit.tangle) == (430, 70, 0)
    check_supply(kit.tangle)


def test_a_part_payment_of_a_closed_hold_changes_nothing() -> None:
    kit = funded()
    held = opened(kit, arbiter=CAROL)
    settle(kit, held, CAROL, 0)
    kit.milestone()
    late = pay(kit, held, CAROL, 1)
    kit.milestone()
    assert conflict(kit.tangle, late) is Conflict.HOLD_NOT_OPEN
    assert balances(kit.tangle) == (500, 0, 0)


def test_a_restart_keeps_what_remains_and_the_replay_protection(tmp_path: Path) -> None:
    store = SqliteTangleStore(tmp_path / "node.db")
    kit = funded(store)
    held = opened(kit, arbiter=CAROL, expires_in_ms=MINUTE)
    paid = pay(kit, held, CAROL, 80)
    kit.milestone()
    root = kit.tangle.state_root()
    store.close()
    restarted = restart(kit, tmp_path / "node.db")
    assert restarted.tangle.state_root() == root
    record = restarted.tangle.hold(transfer_key(held))
    assert (record.status, record.to_payee, record.remaining) == (HoldStatus.OPEN, 80, 120)
    [again] = restarted.tangle.ingest([with_nonce(paid.raw, paid.nonce + 1)])
    restarted.milestone()
    assert again.message_id is not None
    assert restarted.tangle.metadata(again.message_id).conflict is Conflict.REPLAYED
    advance(restarted, ms=MINUTE)
    restarted.milestone()
    record = restarted.tangle.hold(transfer_key(held))
    assert (record.status, record.to_payee, record.refunded) == (HoldStatus.EXPIRED, 80, 120)
    assert balances(restarted.tangle) == (420, 80, 0)
    check_supply(restarted.tangle)
