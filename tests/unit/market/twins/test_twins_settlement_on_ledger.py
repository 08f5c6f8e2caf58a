"""Settlement paying on the real ledger pays each contract exactly once: whatever crashes
between prepare and submit, however often a payment is submitted again."""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from twins_support import EV, SOLAR, Ledger, in_process_ledger, pay_from, pid

from plaza.adapters.ledger.local import LocalLedger
from plaza.crypto import Address
from plaza.ledger.model import Conflict
from plaza.market.payments.service import (
    DeviceAccount,
    KeyFunder,
    LedgerPayments,
    payment_contract_id,
)
from plaza.market.settlement import (
    TERMINAL,
    Contract,
    MemorySettlementStore,
    PaymentStatus,
    Phase,
    PreparedPayment,
    SettlementError,
    SettlementPolicy,
    SettlementService,
)
from plaza.testing.builders import key_from_number
from plaza.testing.payments import InjectedCrash

POLICY = SettlementPolicy(provision_timeout_ms=60_000, max_wait_ms=10_000, batch_size=4)
OWNER = key_from_number(20)
CALLS = ("available", "fund", "prepare", "submit", "status")
T = TypeVar("T")


class CrashingPayments:
    """LedgerPayments whose next call named in ``plan`` dies before or after it takes effect."""

    def __init__(self, inner: LedgerPayments) -> None:
        self.inner = inner
        self.plan: dict[str, str] = {}

    def _around(self, name: str, action: Callable[[], T]) -> T:
        when = self.plan.pop(name, None)
        if when == "before":
            raise InjectedCrash(name)
        result = action()
        if when == "after":
            raise InjectedCrash(name)
        return result

    def available(self, participant: str) -> int:
        return self._around("available", lambda: self.inner.available(participant))

    def fund(self, participant: str, amount: int, *, reference: str) -> None:
        self._around("fund", lambda: self.inner.fund(participant, amount, reference=reference))

    def prepare(self, contract: Contract) -> PreparedPayment:
        return self._around("prepare", lambda: self.inner.prepare(contract))

    def submit(self, payment: PreparedPayment) -> None:
        self._around("submit", lambda: self.inner.submit(payment))

    def status(self, payment: PreparedPayment) -> PaymentStatus:
        return self._around("status", lambda: self.inner.status(payment))


def agent(ledger: Ledger, *, device: int = 0, owner: int = 10**9) -> CrashingPayments:
    if device:
        pay_from(ledger, ledger.treasury, pid(EV), device)
    pay_from(ledger, ledger.treasury, str(OWNER.public_key.address), owner)
    ledger.milestone()
    port = LocalLedger(ledger.runtime)
    return CrashingPayments(
        LedgerPayments(port, [DeviceAccount(EV.signing, KeyFunder(OWNER, port))])
    )


def paid_on_ledger(ledger: Ledger) -> Counter[str]:
    """What the provider received, per contract, from payments the ledger applied."""
    paid: Counter[str] = Counter()
    address = Address.parse(pid(SOLAR)).raw
    for entry in ledger.runtime.tangle.history(address, limit=10_000):
        if (
            entry.delta > 0
            and entry.milestone_index is not None
            and entry.conflict is Conflict.NONE
        ):
            raw = ledger.runtime.tangle.get_raw(entry.message_id)
            contract_id = payment_contract_id(raw) if raw is not None else None
            paid[contract_id or "?"] += entry.delta
    return paid


def contract(number: int, quantity: int = 10, price: int = 30) -> Contract:
    return Contract(f"mat-{number}", pid(SOLAR), pid(EV), quantity, price, number)


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with in_process_ledger() as running:
        yield running


@pytest.mark.parametrize(
    ("call", "when"),
    [
        ("submit", "before"),
        ("submit", "after"),
        ("prepare", "after"),
        ("fund", "after"),
        ("status", "before"),
        ("available", "before"),
    ],
)
def test_a_crash_anywhere_in_paying_still_pays_exactly_once(
    ledger: Ledger, call: str, when: str
) -> None:
    payments = agent(ledger)
    service = SettlementService(MemorySettlementStore(), payments, ledger.clock, policy=POLICY)
    terms = contract(1)
    service.open(terms)
    service.report_delivery(terms.id, pid(SOLAR))
    service.request_payment(terms.id)
    payments.plan[call] = when
    for _ in range(3):  # the worker dies and is restarted, as a job queue would
        with contextlib.suppress(InjectedCrash):
            service.process_payment_queue(pid(EV))
            ledger.milestone()
            service.confirm_payments()
    assert service.get(terms.id).phase is Phase.FULFILLED
    assert paid_on_ledger(ledger) == Counter({terms.id: terms.total})


def test_submitting_a_saved_payment_again_and_again_pays_once(ledger: Ledger) -> None:
    payments = agent(ledger, device=10_000)
    service = SettlementService(MemorySettlementStore(), payments, ledger.clock, policy=POLICY)
    terms = contract(1)
    service.open(terms)
    service.report_delivery(terms.id, pid(EV))
    service.request_payment(terms.id)
    service.process_payment_queue(pid(EV))
    payment = service.get(terms.id).payment
    assert payment is not None
    for _ in range(3):
        payments.submit(payment)
        ledger.milestone()
        payments.submit(payment)
    service.confirm_payments()
    assert service.get(terms.id).phase is Phase.FULFILLED
    assert paid_on_ledger(ledger) == Counter({terms.id: terms.total})


class LedgerSettlementMachine(RuleBasedStateMachine):
    """Any interleaving of payments, crashes, milestones and resubmits pays each contract once."""

    @initialize(seed=st.integers(0, 2**32 - 1), device=st.sampled_from([0, 500, 5_000]))
    def start(self, seed: int, device: int) -> None:
        self.rng = random.Random(seed)
        self.context = in_process_ledger()
        self.ledger = self.context.__enter__()
        self.payments = agent(self.ledger, device=device)
        self.service = SettlementService(
            MemorySettlementStore(), self.payments, self.ledger.clock, policy=POLICY
        )
        self.contracts: dict[str, Contract] = {}

    def _attempt(self, action: Callable[[], object]) -> None:
        with contextlib.suppress(InjectedCrash, SettlementError):
            action()

    @rule(quantity=st.integers(1, 40), price=st.integers(1, 50))
    def open_and_deliver(self, quantity: int, price: int) -> None:
        terms = contract(len(self.contracts) + 1, quantity, price)
        self.contracts[terms.id] = terms
        self.service.open(terms)
        self._attempt(lambda: self.service.report_delivery(terms.id, pid(SOLAR)))
        self._attempt(lambda: self.service.request_payment(terms.id))

    @rule(call=st.sampled_from(CALLS), when=st.sampled_from(["before", "after", "no crash"]))
    def pay(self, call: str, when: str) -> None:
        if when != "no crash":
            self.payments.plan = {call: when}
        self._attempt(lambda: self.service.process_payment_queue(pid(EV)))
        self.payments.plan = {}

    @rule()
    def milestone(self) -> None:
        self.ledger.milestone()

    @rule()
    def confirm(self) -> None:
        self._attempt(self.service.confirm_payments)

    @rule(data=st.data())
    def submit_again(self, data: st.DataObject) -> None:
        """Someone resubmits a saved payment at any time (a retried job, a node's gossip)."""
        saved = [s.payment for s in map(self.service.get, sorted(self.contracts)) if s.payment]
        if saved:
            self.payments.inner.submit(data.draw(st.sampled_from(saved)))

    @invariant()
    def never_paid_twice_nor_partly(self) -> None:
        for contract_id, amount in paid_on_ledger(self.ledger).items():
            assert amount == self.contracts[contract_id].total, contract_id

    def teardown(self) -> None:
        if not hasattr(self, "ledger"):
            return
        try:
            for _ in range(4):
                self.service.process_payment_queue(pid(EV))
                self.ledger.milestone()
                self.service.confirm_payments()
            paid = paid_on_ledger(self.ledger)
            for contract_id, terms in self.contracts.items():
                settlement = self.service.get(contract_id)
                assert settlement.phase is Phase.FULFILLED or settlement.phase not in TERMINAL
                assert paid[contract_id] == (
                    terms.total if settlement.phase is Phase.FULFILLED else 0
                )
        finally:
            self.context.__exit__(None, None, None)


TestLedgerSettlement = LedgerSettlementMachine.TestCase
TestLedgerSettlement.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)
