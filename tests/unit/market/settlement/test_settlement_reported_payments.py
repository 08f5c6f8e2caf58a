"""A payment the consumer's agent made itself and reports: the pure step, then the use case.

The agent pays on the ledger (here: the fake's :meth:`FakePayments.transfer`) and
reports the message; settlement checks it through the payments port, records it
as processed, and confirms it like any payment. Every refusal changes nothing.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from settlement_support import POLICY, Harness, harness

from plaza.market.settlement import (
    ContractNotFound,
    InvalidTransition,
    PaymentRejected,
    Phase,
    PreparedPayment,
    Rejection,
    ReportedTransfer,
    Settlement,
)
from plaza.market.settlement.lifecycle import (
    check_reported_payment,
    open_settlement,
    record_payment,
)

PAYMENT = PreparedPayment(b"\x01" * 32, b"raw", 70)


def requested(h: Harness, number: int = 1, *, ask: bool = True) -> str:
    """An open contract, delivered, and (with ``ask``) its payment requested; its id."""
    h.service.open(h.contract(number))
    h.service.report_delivery(f"c{number}", "provider")
    if ask:
        h.service.request_payment(f"c{number}")
    return f"c{number}"


def own_payment(h: Harness, contract_id: str, amount: int = 70) -> bytes:
    """The consumer's agent pays the provider itself, naming the contract."""
    return h.payments.transfer("consumer", "provider", amount, contract_id=contract_id)


# -- the pure step -------------------------------------------------------------------------


def settlement_in(phase: Phase, payment: PreparedPayment | None = None) -> Settlement:
    fresh = open_settlement(harness().contract(1), 0, POLICY)
    return replace(fresh, phase=phase, payment=payment)


@pytest.mark.parametrize("phase", [Phase.PROVISION_FINISHED, Phase.PAYMENT_REQUESTED])
def test_recording_moves_a_delivered_contract_to_processed_and_is_idempotent(
    phase: Phase,
) -> None:
    recorded = record_payment(settlement_in(phase), PAYMENT, 5)
    assert (recorded.phase, recorded.payment, recorded.updated_at_ms) == (
        Phase.PAYMENT_PROCESSED,
        PAYMENT,
        5,
    )
    assert record_payment(recorded, PAYMENT, 9) is recorded


@pytest.mark.parametrize(
    "phase", [Phase.CONTRACT_CREATED, Phase.CANCELLED, Phase.FULFILLED, Phase.PAYMENT_CONFIRMED]
)
def test_recording_is_refused_where_nothing_is_owed(phase: Phase) -> None:
    with pytest.raises(InvalidTransition, match="record a payment"):
        record_payment(settlement_in(phase), PAYMENT, 5)


def test_a_claimed_contract_keeps_its_claim_until_the_payment_is_confirmed() -> None:
    recorded = record_payment(settlement_in(Phase.CLAIM_ISSUED), PAYMENT, 5)
    assert (recorded.phase, recorded.payment) == (Phase.CLAIM_ISSUED, PAYMENT)


def test_a_paid_contract_refuses_another_payment_in_any_phase() -> None:
    other = replace(PAYMENT, message_id=b"\x02" * 32)
    for phase in (Phase.PAYMENT_PROCESSED, Phase.FULFILLED, Phase.CLAIM_ISSUED):
        paid = settlement_in(phase, PAYMENT)
        assert record_payment(paid, PAYMENT, 5) is paid
        with pytest.raises(InvalidTransition):
            record_payment(paid, other, 5)


def test_the_checks_of_a_reported_transfer_in_order() -> None:
    contract = harness().contract(1)  # provider <- consumer, total 70
    good = ReportedTransfer(b"\x01" * 32, b"raw", "consumer", (("provider", 70),), "c1")
    assert check_reported_payment(contract, good) == PreparedPayment(b"\x01" * 32, b"raw", 70)
    split = replace(good, outputs=(("provider", 50), ("elsewhere", 5), ("provider", 30)))
    assert check_reported_payment(contract, split).amount == 80  # overpaid: what it pays
    cases = {
        Rejection.WRONG_PAYER: replace(good, payer="mallory"),
        Rejection.WRONG_PAYEE: replace(good, outputs=(("mallory", 70),)),
        Rejection.SHORT_AMOUNT: replace(good, outputs=(("provider", 69),)),
        Rejection.WRONG_CONTRACT: replace(good, contract_id="c2"),
    }
    for rejection, transfer in cases.items():
        with pytest.raises(PaymentRejected) as refused:
            check_reported_payment(contract, transfer)
        assert (refused.value.rejection, refused.value.code) == (rejection, rejection.value)
    with pytest.raises(PaymentRejected, match="names no contract"):
        check_reported_payment(contract, replace(good, contract_id=None))


# -- the use case --------------------------------------------------------------------------


def test_a_reported_payment_is_confirmed_and_fulfils_the_contract() -> None:
    h = harness()
    contract_id = requested(h)
    message = own_payment(h, contract_id)
    recorded = h.service.record_payment(contract_id, message)
    assert recorded.phase is Phase.PAYMENT_PROCESSED
    assert recorded.payment is not None
    assert recorded.payment.message_id == message
    assert h.service.confirm_payments() == 0  # not on the ledger yet
    h.payments.confirm()
    assert h.service.confirm_payments() == 1
    assert h.service.get(contract_id).phase is Phase.FULFILLED
    assert h.payments.paid[contract_id] == 70
    steps = [step for _, step, _ in h.recorder.steps]
    assert steps[-3:] == ["record payment", "confirm payment", "fulfil"]


def test_a_consumer_may_pay_before_being_asked() -> None:
    h = harness()
    contract_id = requested(h, ask=False)
    recorded = h.service.record_payment(contract_id, own_payment(h, contract_id))
    assert recorded.phase is Phase.PAYMENT_PROCESSED


def test_reporting_the_same_message_again_changes_nothing() -> None:
    h = harness()
    contract_id = requested(h)
    message = own_payment(h, contract_id)
    first = h.service.record_payment(contract_id, message)
    steps = len(h.recorder.steps)
    assert h.service.record_payment(contract_id, message) == first
    assert len(h.recorder.steps) == steps
    h.payments.confirm()
    h.service.confirm_payments()
    assert h.service.record_payment(contract_id, message).phase is Phase.FULFILLED


def test_a_second_payment_for_a_paid_contract_is_refused() -> None:
    h = harness()
    contract_id = requested(h)
    first = h.service.record_payment(contract_id, own_payment(h, contract_id))
    with pytest.raises(InvalidTransition):
        h.service.record_payment(contract_id, own_payment(h, contract_id))
    assert h.service.get(contract_id) == first


def test_the_phase_is_checked_before_the_ledger_is_asked() -> None:
    h = harness()
    h.service.open(h.contract(1))
    with pytest.raises(InvalidTransition):  # not PaymentRejected: the message is unknown too
        h.service.record_payment("c1", b"\x09" * 32)
    with pytest.raises(ContractNotFound):
        h.service.record_payment("c9", b"\x09" * 32)


def wrong_messages(h: Harness, contract_id: str) -> dict[Rejection, bytes]:
    pay = h.payments.transfer
    return {
        Rejection.UNKNOWN_MESSAGE: b"\x09" * 32,
        Rejection.NOT_A_TRANSFER: h.payments.post_data(),
        Rejection.WRONG_PAYER: pay("mallory", "provider", 70, contract_id=contract_id),
        Rejection.WRONG_PAYEE: pay("consumer", "mallory", 70, contract_id=contract_id),
        Rejection.SHORT_AMOUNT: pay("consumer", "provider", 69, contract_id=contract_id),
        Rejection.WRONG_CONTRACT: pay("consumer", "provider", 70, contract_id="c2"),
    }


def test_each_wrong_payment_is_refused_with_its_reason_and_changes_nothing() -> None:
    h = harness()
    contract_id = requested(h)
    before = h.service.get(contract_id)
    cases = wrong_messages(h, contract_id)
    assert set(cases) == set(Rejection)
    for rejection, message in cases.items():
        with pytest.raises(PaymentRejected) as refused:
            h.service.record_payment(contract_id, message)
        assert refused.value.rejection is rejection
        assert refused.value.contract_id == contract_id
        assert h.service.get(contract_id) == before


def test_a_reported_payment_the_ledger_refuses_is_forgotten_and_paid_again() -> None:
    h = harness(balance=0, owner_funds=0)
    contract_id = requested(h)
    h.service.record_payment(contract_id, own_payment(h, contract_id))
    h.payments.confirm()  # the consumer could not cover it
    h.service.confirm_payments()
    retry = h.service.get(contract_id)
    assert (retry.phase, retry.payment) == (Phase.PAYMENT_REQUESTED, None)
    h.payments.balances["consumer"] = 70
    h.service.record_payment(contract_id, own_payment(h, contract_id))
    h.payments.confirm()
    h.service.confirm_payments()
    assert h.service.get(contract_id).phase is Phase.FULFILLED
    assert h.payments.paid[contract_id] == 70


def test_a_late_reported_payment_settles_a_claim() -> None:
    h = harness()
    contract_id = requested(h)
    for _ in range(4):
        h.clock.advance(ms=POLICY.max_wait_ms)
        h.service.sweep()
    assert h.service.get(contract_id).phase is Phase.CLAIM_ISSUED
    h.service.record_payment(contract_id, own_payment(h, contract_id))
    assert h.service.get(contract_id).phase is Phase.CLAIM_ISSUED
    h.payments.confirm()
    h.service.confirm_payments()
    assert h.service.get(contract_id).phase is Phase.FULFILLED
