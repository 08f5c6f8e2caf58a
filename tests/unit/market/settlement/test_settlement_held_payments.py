"""A contract paid by a held payment the marketplace arbitrates: it waits for delivery until
the end of what it pays for, the arbiter's settlement is its payment (whole or a share),
confirmed like any payment, and a refund cancels it. Each step is idempotent; a step its
phase does not allow is refused and changes nothing."""

from __future__ import annotations

import pytest
from settlement_support import POLICY, harness

from plaza.market.settlement import InvalidTransition, Phase, PreparedPayment

HOUR = 3_600_000


def test_a_held_contract_is_not_cancelled_before_what_it_pays_for_ends() -> None:
    h = harness()
    h.service.open(h.contract(1))
    until = h.clock.now_ms() + 5 * HOUR
    held = h.service.hold_payment("c1", until)
    assert (held.phase, held.deadline_ms) == (Phase.CONTRACT_CREATED, until)
    assert h.service.hold_payment("c1", until - HOUR) == held  # never sooner
    h.clock.advance(ms=POLICY.provision_timeout_ms + 1)
    h.service.sweep()
    assert h.service.get("c1").phase is Phase.CONTRACT_CREATED
    h.clock.advance(ms=5 * HOUR)
    h.service.sweep()
    assert h.service.get("c1").phase is Phase.CANCELLED


def test_the_arbiters_settlement_pays_the_contract_and_is_confirmed_like_any() -> None:
    h = harness()
    h.service.open(h.contract(1))
    h.service.hold_payment("c1", h.clock.now_ms() + HOUR)
    message = h.payments.transfer("consumer", "provider", 52, contract_id="c1")
    settlement = PreparedPayment(message, b"settle", 52)
    paid = h.service.settle_held("c1", settlement)
    assert (paid.phase, paid.payment) == (Phase.PAYMENT_PROCESSED, settlement)
    assert h.service.settle_held("c1", settlement) == paid  # again: nothing changes
    h.payments.confirm()
    h.service.confirm_payments()
    assert h.service.get("c1").phase is Phase.FULFILLED
    assert [step for _, step, _ in h.recorder.steps] == [
        "open",
        "hold payment",
        "settle held payment",
        "confirm payment",
        "fulfil",
    ]


def test_a_refund_cancels_the_contract_and_a_settled_one_is_not_refunded() -> None:
    h = harness()
    h.service.open(h.contract(1))
    assert h.service.settle_held("c1", None).phase is Phase.CANCELLED
    assert h.service.settle_held("c1", None).phase is Phase.CANCELLED
    with pytest.raises(InvalidTransition):
        h.service.hold_payment("c1", h.clock.now_ms() + HOUR)
    h.service.open(h.contract(2))
    h.service.settle_held("c2", PreparedPayment(b"\x02" * 32, b"settle", 70))
    with pytest.raises(InvalidTransition):
        h.service.settle_held("c2", None)
    with pytest.raises(InvalidTransition):
        h.service.settle_held("c2", PreparedPayment(b"\x03" * 32, b"other", 70))
    assert h.service.get("c2").payment == PreparedPayment(b"\x02" * 32, b"settle", 70)
