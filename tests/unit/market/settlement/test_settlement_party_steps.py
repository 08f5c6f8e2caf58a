"""The steps a party takes itself: reminders, the claim and the cancel, with their guards.

The provider chases an unpaid contract (the energy seed's way): reminder ``n`` only
on a delivered contract that is owed, in order, once the consumer's wait is over;
the claim only after the last reminder's wait and never on a contract a checked
payment pays; a cancel only before delivery. A stateful test lets a provider and a
consumer send any of these at any time, beside the sweep and payments, and checks
every change the listener sees.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from settlement_support import POLICY, Harness, harness

from plaza.market.settlement import (
    Contract,
    InvalidTransition,
    MemorySettlementStore,
    NotAParty,
    Phase,
    Settlement,
    SettlementError,
    SettlementService,
    TooEarly,
    WrongParty,
    lifecycle,
)
from plaza.testing import FakeClock
from plaza.testing.payments import FakePayments

WAIT = POLICY.max_wait_ms


def requested(h: Harness, number: int = 1) -> str:
    contract = h.contract(number)
    h.service.open(contract)
    h.service.report_delivery(contract.id, "provider")
    h.service.request_payment(contract.id)
    return contract.id


def reminded_three_times(h: Harness) -> str:
    contract_id = requested(h)
    for number in (1, 2, 3):
        h.clock.advance(ms=WAIT)
        h.service.remind(contract_id, "provider", number)
    return contract_id


def test_a_reminder_waits_for_the_consumers_time_to_pay() -> None:
    h = harness()
    contract_id = requested(h)
    h.clock.advance(ms=WAIT - 1)
    with pytest.raises(TooEarly):
        h.service.remind(contract_id, "provider", 1)
    h.clock.advance(ms=1)
    assert h.service.remind(contract_id, "provider", 1).reminders == 1
    with pytest.raises(TooEarly):  # the wait starts again with each reminder
        h.service.remind(contract_id, "provider", 2)


def test_reminders_go_in_order_and_a_repeat_changes_nothing() -> None:
    h = harness()
    contract_id = requested(h)
    h.clock.advance(ms=WAIT)
    with pytest.raises(InvalidTransition):
        h.service.remind(contract_id, "provider", 2)
    once = h.service.remind(contract_id, "provider", 1)
    assert h.service.remind(contract_id, "provider", 1) == once
    h.clock.advance(ms=10 * WAIT)
    for number in (2, 3):
        h.service.remind(contract_id, "provider", number)
        h.clock.advance(ms=WAIT)
    with pytest.raises(InvalidTransition):
        h.service.remind(contract_id, "provider", 4)


def test_a_claim_needs_the_third_reminder_and_its_wait() -> None:
    h = harness()
    contract_id = requested(h)
    h.clock.advance(ms=10 * WAIT)
    with pytest.raises(InvalidTransition, match="after 0 of 3 reminders"):
        h.service.claim(contract_id, "provider")
    for number in (1, 2, 3):
        h.service.remind(contract_id, "provider", number)
        h.clock.advance(ms=WAIT if number < 3 else WAIT // 2)
    with pytest.raises(TooEarly):
        h.service.claim(contract_id, "provider")
    h.clock.advance(ms=WAIT // 2)
    claimed = h.service.claim(contract_id, "provider")
    assert claimed.phase is Phase.CLAIM_ISSUED
    assert h.service.claim(contract_id, "provider") == claimed  # idempotent


def test_only_the_provider_reminds_and_claims() -> None:
    h = harness()
    contract_id = requested(h)
    h.clock.advance(ms=WAIT)
    with pytest.raises(WrongParty):
        h.service.remind(contract_id, "consumer", 1)
    with pytest.raises(NotAParty):
        h.service.claim(contract_id, "stranger")
    with pytest.raises(NotAParty):
        h.service.cancel(contract_id, "stranger")


def test_a_paid_contract_is_neither_reminded_nor_claimed() -> None:
    h = harness()
    contract_id = reminded_three_times(h)
    payment = h.payments.prepare(h.service.get(contract_id).contract)
    h.payments.submit(payment)
    h.service.record_payment(contract_id, payment.message_id)
    h.clock.advance(ms=WAIT)
    with pytest.raises(InvalidTransition):
        h.service.claim(contract_id, "provider")
    settlement = h.service.get(contract_id)
    with pytest.raises(InvalidTransition):
        lifecycle.remind(replace(settlement, reminders=0), 1, h.clock.now_ms(), POLICY)


def test_a_cancel_only_before_delivery() -> None:
    h = harness()
    fresh = h.contract(1)
    h.service.open(fresh)
    assert h.service.cancel(fresh.id, "consumer").phase is Phase.CANCELLED
    assert h.service.cancel(fresh.id, "provider").phase is Phase.CANCELLED  # idempotent
    delivered = requested(h, 2)
    with pytest.raises(InvalidTransition):
        h.service.cancel(delivered, "provider")
    assert h.service.get(delivered).phase is Phase.PAYMENT_REQUESTED


def test_a_claimed_contract_paid_late_is_fulfilled() -> None:
    h = harness()
    contract_id = reminded_three_times(h)
    h.clock.advance(ms=WAIT)
    h.service.claim(contract_id, "provider")
    payment = h.payments.prepare(h.service.get(contract_id).contract)
    h.payments.submit(payment)
    h.service.record_payment(contract_id, payment.message_id)
    h.payments.confirm()
    h.service.confirm_payments()
    assert h.service.get(contract_id).phase is Phase.FULFILLED


# -- any order, any time ----------------------------------------------------------------

PROVIDER, CONSUMER = "solar-1", "ev-1"
PAYABLE = frozenset({Phase.PROVISION_FINISHED, Phase.PAYMENT_REQUESTED, Phase.CLAIM_ISSUED})


class Changes:
    """The listener: every saved change, in order."""

    def __init__(self) -> None:
        self.seen: list[tuple[Settlement, Settlement, str]] = []

    def changed(self, before: Settlement, after: Settlement, step: str) -> None:
        self.seen.append((before, after, step))


class PartyStepsMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.clock = FakeClock()
        self.payments = FakePayments({CONSUMER: 10_000}, {CONSUMER: 0})
        self.changes = Changes()
        self.service = SettlementService(
            MemorySettlementStore(),
            self.payments,
            self.clock,
            policy=POLICY,
            listener=self.changes,
        )
        self.ids = ["c0", "c1"]  # few contracts, so that runs go deep into each
        for number, contract_id in enumerate(self.ids):
            quantity = 5 + number
            self.service.open(Contract(contract_id, PROVIDER, CONSUMER, quantity, 3, number))

    def _attempt(self, action: object) -> None:
        assert callable(action)
        with contextlib.suppress(SettlementError):
            action()

    def _pick(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from(self.ids))

    @rule(data=st.data(), by=st.sampled_from((PROVIDER, CONSUMER)))
    def deliver(self, data: st.DataObject, by: str) -> None:
        if contract_id := self._pick(data):
            self._attempt(lambda: self.service.report_delivery(contract_id, by))
            self._attempt(lambda: self.service.request_payment(contract_id))

    @rule(data=st.data(), number=st.integers(0, 5), by=st.sampled_from((PROVIDER, CONSUMER)))
    def remind(self, data: st.DataObject, number: int, by: str) -> None:
        if contract_id := self._pick(data):
            self._attempt(lambda: self.service.remind(contract_id, by, number))

    @rule(data=st.data(), steps=st.integers(1, 4))
    def provider_chases(self, data: st.DataObject, steps: int) -> None:
        """An honest provider's next steps: after each wait, the next reminder or the claim."""
        contract_id = self._pick(data)
        for _ in range(steps):
            self.clock.advance(ms=POLICY.max_wait_ms)
            number = self.service.get(contract_id).reminders + 1
            if number <= POLICY.max_reminders:
                self._attempt(lambda: self.service.remind(contract_id, PROVIDER, number))  # noqa: B023
            else:
                self._attempt(lambda: self.service.claim(contract_id, PROVIDER))

    @rule(data=st.data(), by=st.sampled_from((PROVIDER, CONSUMER, "mallory")))
    def claim(self, data: st.DataObject, by: str) -> None:
        if contract_id := self._pick(data):
            self._attempt(lambda: self.service.claim(contract_id, by))

    @rule(data=st.data(), by=st.sampled_from((PROVIDER, CONSUMER, "mallory")))
    def cancel(self, data: st.DataObject, by: str) -> None:
        if contract_id := self._pick(data):
            self._attempt(lambda: self.service.cancel(contract_id, by))

    @rule(data=st.data())
    def consumer_pays(self, data: st.DataObject) -> None:
        if contract_id := self._pick(data):
            self._attempt(lambda: self._pay(contract_id))

    def _pay(self, contract_id: str) -> None:
        """A careful consumer pays only what can be recorded, once."""
        settlement = self.service.get(contract_id)
        if settlement.payment is None and settlement.phase in PAYABLE:
            payment = self.payments.prepare(settlement.contract)
            self.payments.submit(payment)
            self.service.record_payment(contract_id, payment.message_id)

    @rule()
    def ledger_confirms(self) -> None:
        self.payments.confirm()
        self.service.confirm_payments()

    @rule(ms=st.integers(0, 2 * POLICY.max_wait_ms))
    def time_passes(self, ms: int) -> None:
        self.clock.advance(ms=ms)

    @rule()
    def sweep(self) -> None:
        self.service.sweep()

    @invariant()
    def no_claim_before_three_reminders_nor_on_a_paid_contract(self) -> None:
        for before, after, step in self.changes.seen:
            if after.phase is Phase.CLAIM_ISSUED and before.phase is not Phase.CLAIM_ISSUED:
                assert before.reminders >= POLICY.max_reminders, (before, step)
                if step == "claim":
                    assert before.payment is None
                    assert before.phase in lifecycle.OWED

    @invariant()
    def no_cancel_after_delivery(self) -> None:
        for before, after, step in self.changes.seen:
            if after.phase is Phase.CANCELLED and before.phase is not Phase.CANCELLED:
                assert before.phase is Phase.CONTRACT_CREATED, (before, step)

    @invariant()
    def reminders_come_one_at_a_time_after_the_wait(self) -> None:
        for before, after, step in self.changes.seen:
            if step == "remind":
                assert after.reminders == before.reminders + 1 <= POLICY.max_reminders
                assert after.updated_at_ms >= before.deadline_ms

    def teardown(self) -> None:
        """A claimed contract the consumer then pays ends fulfilled, paid exactly once."""
        if not hasattr(self, "service"):
            return
        for contract_id in self.ids:
            if self.service.get(contract_id).phase is Phase.CLAIM_ISSUED:
                self._pay(contract_id)
        self.payments.confirm()
        self.service.confirm_payments()
        for before, after, _ in self.changes.seen:
            if after.phase is Phase.CLAIM_ISSUED and before.phase is not Phase.CLAIM_ISSUED:
                settled = self.service.get(after.id)
                assert settled.phase is Phase.FULFILLED, settled
                assert self.payments.paid[after.id] == settled.contract.total


TestPartySteps = PartyStepsMachine.TestCase
TestPartySteps.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
