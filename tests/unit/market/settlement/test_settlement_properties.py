"""Stateful property test: any interleaving of steps, crashes and retries settles safely.

Workers may die at any call into the payment port or the store (an injected
crash), and any step may run at any time or twice. Two consumers are paid by
the marketplace's queue; a third pays on its own and reports its payments, as a
consumer's agent does when the marketplace pays nothing. Whatever happens, no
contract is paid twice or partly, money is conserved, and once the crashes
stop and time moves on, every contract ends fulfilled, cancelled or claimed.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from settlement_support import POLICY

from plaza.market.settlement import (
    TERMINAL,
    Contract,
    MemorySettlementStore,
    PaymentStatus,
    Phase,
    PreparedPayment,
    Settlement,
    SettlementError,
    SettlementService,
)
from plaza.testing import FakeClock
from plaza.testing.payments import FakePayments, InjectedCrash

CONSUMERS = ("ev-1", "heat-pump-2")  # the marketplace's queue pays for these
SELF_PAYER = "battery-3"  # its own agent pays, then reports the payment
PAYABLE = frozenset({Phase.PROVISION_FINISHED, Phase.PAYMENT_REQUESTED, Phase.CLAIM_ISSUED})


class CrashingStore(MemorySettlementStore):
    """Writes may crash before committing, or after: then the caller never learns it did."""

    def __init__(self, crash: random.Random) -> None:
        super().__init__()
        self.crash = crash
        self.enabled = False

    def _maybe_crash(self, where: str) -> None:
        if self.enabled and self.crash.random() < 0.1:
            raise InjectedCrash(where)

    def create(self, settlement: Settlement) -> Settlement:
        self._maybe_crash("before create")
        created = super().create(settlement)
        self._maybe_crash("after create")
        return created

    def save(self, settlement: Settlement) -> Settlement:
        self._maybe_crash("before save")
        saved = super().save(settlement)
        self._maybe_crash("after save")
        return saved


class SettlementMachine(RuleBasedStateMachine):
    @initialize(seed=st.integers(0, 2**32 - 1))
    def start(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.clock = FakeClock()
        self.crashing = False
        balances = {**dict.fromkeys(CONSUMERS, 500), SELF_PAYER: 50}  # it must fund, or fail
        owner_funds = dict.fromkeys((*CONSUMERS, SELF_PAYER), 5_000)
        self.payments = FakePayments(balances, owner_funds, crash=self._maybe_crash)
        self.own: dict[str, PreparedPayment] = {}  # the self-payer's agent's saved payments
        self.store = CrashingStore(self.rng)
        self.service = SettlementService(self.store, self.payments, self.clock, policy=POLICY)
        self.contracts: dict[str, Contract] = {}
        self.money = sum(self.payments.balances.values()) + sum(self.payments.owner_funds.values())

    def _maybe_crash(self, where: str) -> None:
        if self.crashing and self.rng.random() < 0.15:
            raise InjectedCrash(where)

    def _attempt(self, action: Callable[[], object]) -> None:
        """Run a step as a worker would: a crash or a refused step is retried later."""
        with contextlib.suppress(InjectedCrash, SettlementError):
            action()

    @rule(consumer=st.sampled_from((*CONSUMERS, SELF_PAYER)), quantity=st.integers(1, 40))
    def open_contract(self, consumer: str, quantity: int) -> None:
        contract = Contract(
            f"c{len(self.contracts)}", "solar-1", consumer, quantity, 3, self.clock.now_ms()
        )
        self.contracts[contract.id] = contract
        self._attempt(lambda: self.service.open(contract))

    @rule(data=st.data())
    def deliver(self, data: st.DataObject) -> None:
        if self.contracts:
            contract_id = data.draw(st.sampled_from(sorted(self.contracts)))
            self._attempt(lambda: self.service.report_delivery(contract_id, "solar-1"))
            self._attempt(lambda: self.service.request_payment(contract_id))

    @rule(consumer=st.sampled_from(CONSUMERS))
    def pay(self, consumer: str) -> None:
        self._attempt(lambda: self.service.process_payment_queue(consumer))

    @rule(data=st.data(), fund=st.booleans())
    def consumer_pays_itself(self, data: st.DataObject, fund: bool) -> None:
        mine = sorted(c for c, k in self.contracts.items() if k.consumer == SELF_PAYER)
        if mine:
            contract_id = data.draw(st.sampled_from(mine))
            self._attempt(lambda: self._agent_pays(contract_id, fund=fund))

    def _agent_pays(self, contract_id: str, *, fund: bool = True) -> None:
        """A careful agent: one payment per contract, saved before it is sent and reported
        until recorded; a new one only once the ledger has refused the last. Without
        ``fund`` it pays from what it has, so the ledger may refuse the payment."""
        payment = self.own.get(contract_id)
        if payment is not None and self.payments.status(payment) is PaymentStatus.FAILED:
            del self.own[contract_id]
            payment = None
        if payment is None:
            settlement = self.service.get(contract_id)
            if settlement.payment is not None or settlement.phase not in PAYABLE:
                return
            contract = settlement.contract
            short = contract.total - self.payments.available(SELF_PAYER)
            if fund and short > 0:
                self.payments.fund(SELF_PAYER, short, reference=contract_id)
            payment = self.own[contract_id] = self.payments.prepare(contract)
        self.payments.submit(payment)
        self.service.record_payment(contract_id, payment.message_id)

    @rule()
    def milestone(self) -> None:
        self.payments.confirm()

    @rule()
    def confirm(self) -> None:
        self._attempt(self.service.confirm_payments)

    @rule(ms=st.integers(0, 30_000))
    def time_passes(self, ms: int) -> None:
        self.clock.advance(ms=ms)
        self._attempt(self.service.sweep)

    @rule(on=st.booleans())
    def crashes(self, on: bool) -> None:
        self.crashing = self.store.enabled = on

    @invariant()
    def never_paid_twice_nor_partly(self) -> None:
        for contract_id, amount in self.payments.paid.items():
            assert amount == self.contracts[contract_id].total, contract_id

    @invariant()
    def money_is_conserved(self) -> None:
        balances = sum(self.payments.balances.values())
        assert balances + sum(self.payments.owner_funds.values()) == self.money

    def teardown(self) -> None:
        if not hasattr(self, "service"):
            return
        self.crashing = self.store.enabled = False
        for contract in self.contracts.values():
            self.service.open(contract)  # a crashed open is retried, as the matcher would
        self._drive_to_completion()
        for contract_id, contract in self.contracts.items():
            settlement = self.service.get(contract_id)
            assert settlement.phase in TERMINAL, (contract_id, settlement.phase)
            paid = self.payments.paid[contract_id]
            if settlement.phase is Phase.FULFILLED:
                assert paid == contract.total
            if settlement.phase is Phase.CANCELLED:
                assert paid == 0

    def _drive_to_completion(self) -> None:
        """Workers keep running without crashes while time moves past every deadline."""
        for _ in range(8):
            for consumer in CONSUMERS:
                self.service.process_payment_queue(consumer)
            for contract_id, contract in self.contracts.items():
                if contract.consumer == SELF_PAYER:
                    self._attempt(lambda: self._agent_pays(contract_id))  # noqa: B023
            self.payments.confirm()
            self.service.confirm_payments()
            self.clock.advance(ms=POLICY.provision_timeout_ms)
            self.service.sweep()


TestSettlement = SettlementMachine.TestCase
TestSettlement.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
