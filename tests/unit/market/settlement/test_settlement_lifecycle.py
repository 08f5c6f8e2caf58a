"""The settlement state machine, step by step, on a fake clock."""

from __future__ import annotations

import pytest
from settlement_support import POLICY, harness

from plaza.market.settlement import InvalidTransition, NotAParty, Phase


def test_a_contract_is_paid_and_fulfilled() -> None:
    h = harness()
    contract = h.contract(1)
    h.service.open(contract)
    h.service.report_delivery("c1", "provider")
    h.service.request_payment("c1")
    assert h.service.process_payment_queue("consumer") == 1
    assert h.service.get("c1").phase is Phase.PAYMENT_PROCESSED
    h.payments.confirm()
    assert h.service.confirm_payments() == 1
    assert h.service.get("c1").phase is Phase.FULFILLED
    assert h.payments.paid["c1"] == contract.total
    assert [step for _, step, _ in h.recorder.steps] == [
        "open",
        "deliver",
        "request payment",
        "prepare payment",
        "pay",
        "confirm payment",
        "fulfil",
    ]


def test_steps_are_idempotent() -> None:
    h = harness()
    h.service.open(h.contract(1))
    first = h.service.report_delivery("c1", "consumer")
    assert h.service.report_delivery("c1", "provider") == first
    assert h.service.open(h.contract(1)).version == first.version
    h.service.request_payment("c1")
    h.service.process_payment_queue("consumer")
    assert h.service.report_delivery("c1", "provider").phase is Phase.PAYMENT_PROCESSED


def test_only_a_party_reports_delivery() -> None:
    h = harness()
    h.service.open(h.contract(1))
    with pytest.raises(NotAParty):
        h.service.report_delivery("c1", "mallory")


def test_an_undelivered_contract_is_cancelled_at_its_deadline() -> None:
    h = harness()
    h.service.open(h.contract(1))
    h.clock.advance(ms=POLICY.provision_timeout_ms - 1)
    assert h.service.sweep().cancelled == 0
    h.clock.advance(ms=1)
    assert h.service.sweep().cancelled == 1
    assert h.service.get("c1").phase is Phase.CANCELLED
    with pytest.raises(InvalidTransition):
        h.service.report_delivery("c1", "provider")


def test_three_reminders_then_a_claim() -> None:
    """Reminders at the first three missed deadlines, the claim at the fourth."""
    h = harness()
    h.service.open(h.contract(1))
    h.service.report_delivery("c1", "provider")
    for reminder in (1, 2, 3):
        h.clock.advance(ms=POLICY.max_wait_ms)
        assert h.service.sweep().reminded == 1
        settlement = h.service.get("c1")
        assert (settlement.phase, settlement.reminders) == (Phase.PROVISION_FINISHED, reminder)
    h.clock.advance(ms=POLICY.max_wait_ms - 1)
    assert h.service.sweep().claimed == 0
    h.clock.advance(ms=1)
    assert h.service.sweep().claimed == 1
    assert h.service.get("c1").phase is Phase.CLAIM_ISSUED


def test_a_late_payment_settles_a_claim() -> None:
    h = harness()
    h.service.open(h.contract(1))
    h.service.report_delivery("c1", "provider")
    h.service.request_payment("c1")
    h.service.process_payment_queue("consumer")
    for _ in range(4):
        h.clock.advance(ms=POLICY.max_wait_ms)
        h.service.sweep()
    assert h.service.get("c1").phase is Phase.CLAIM_ISSUED
    h.payments.confirm()
    h.service.confirm_payments()
    assert h.service.get("c1").phase is Phase.FULFILLED


def test_a_short_device_wallet_is_funded_by_its_owner() -> None:
    h = harness(balance=0, owner_funds=1_000)
    for number in range(3):
        h.service.open(h.contract(number))
        h.service.report_delivery(f"c{number}", "provider")
        h.service.request_payment(f"c{number}")
    h.service.process_payment_queue("consumer")
    assert h.payments.owner_funds["consumer"] == 1_000 - 3 * 70
    h.payments.confirm()
    assert h.service.confirm_payments() == 3


def test_the_queue_pays_a_batch_per_cycle() -> None:
    h = harness(balance=100_000)
    for number in range(25):
        h.service.open(h.contract(number))
        h.service.report_delivery(f"c{number}", "provider")
        h.service.request_payment(f"c{number}")
    assert [h.service.process_payment_queue("consumer") for _ in range(4)] == [10, 10, 5, 0]


def test_a_failed_payment_is_prepared_again() -> None:
    h = harness(balance=0, owner_funds=0)
    h.service.open(h.contract(1))
    h.service.report_delivery("c1", "provider")
    h.service.request_payment("c1")
    h.payments.balances["consumer"] = 70  # enough to try, then spent elsewhere
    h.service.process_payment_queue("consumer")
    h.payments.balances["consumer"] = 0
    h.payments.confirm()
    h.service.confirm_payments()
    settlement = h.service.get("c1")
    assert (settlement.phase, settlement.payment) == (Phase.PAYMENT_REQUESTED, None)
    h.payments.balances["consumer"] = 70
    h.service.process_payment_queue("consumer")
    h.payments.confirm()
    h.service.confirm_payments()
    assert h.service.get("c1").phase is Phase.FULFILLED
    assert h.payments.paid["c1"] == 70
