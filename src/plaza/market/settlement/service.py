"""Settlement use cases: load, apply one lifecycle step, save, tell the listener.

Each use case is safe to retry after a crash at any point: lifecycle steps are
idempotent, the prepared payment is saved before it is submitted and only ever
resubmitted byte for byte, and saves are version-checked so two workers cannot
both move one contract.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from plaza.market.settlement import held, lifecycle
from plaza.market.settlement.errors import ContractNotFound, NotAParty, WrongParty
from plaza.market.settlement.model import (
    TERMINAL,
    Contract,
    Phase,
    PreparedPayment,
    Settlement,
    SettlementPolicy,
)
from plaza.market.settlement.ports import (
    Clock,
    Payments,
    PaymentStatus,
    SettlementListener,
    SettlementStore,
)
from plaza.market.units import UnitOfWork, no_unit

__all__ = ["SettlementService", "SweepReport"]

Step = Callable[[Settlement], Settlement]


@dataclass(frozen=True, slots=True)
class SweepReport:
    cancelled: int = 0
    reminded: int = 0
    claimed: int = 0


class _Silent:
    def changed(self, before: Settlement, after: Settlement, step: str) -> None:
        pass


class SettlementService:
    def __init__(
        self,
        store: SettlementStore,
        payments: Payments,
        clock: Clock,
        *,
        policy: SettlementPolicy | None = None,
        listener: SettlementListener | None = None,
        staging: SettlementListener | None = None,
        unit: UnitOfWork = no_unit,
    ) -> None:
        """``staging`` hears each change inside the unit of work that saves it (the twin
        outbox: it only writes to the same database, and may raise to undo the change);
        ``listener`` hears it once it is committed."""
        self._store = store
        self._payments = payments
        self._clock = clock
        self._policy = policy or SettlementPolicy()
        self._listener: SettlementListener = listener or _Silent()
        self._staging: SettlementListener = staging or _Silent()
        self._unit = unit

    def open(self, contract: Contract) -> Settlement:
        """Start settling a contract; opening it again returns the existing settlement."""
        fresh = lifecycle.open_settlement(contract, self._clock.now_ms(), self._policy)
        with self._unit():
            stored = self._store.create(fresh)
            opened = stored.version == fresh.version and stored == fresh
            if opened:
                self._staging.changed(stored, stored, "open")
        if opened:
            self._listener.changed(stored, stored, "open")
        return stored

    def get(self, contract_id: str) -> Settlement:
        settlement = self._store.get(contract_id)
        if settlement is None:
            raise ContractNotFound(contract_id)
        return settlement

    def report_delivery(self, contract_id: str, reporter: str) -> Settlement:
        """Provision finished, reported by either party; the payment clock starts."""
        contract = self.get(contract_id).contract
        if reporter not in (contract.provider, contract.consumer):
            raise NotAParty(contract_id, reporter)
        now = self._clock.now_ms()
        return self._step(contract_id, "deliver", lambda s: lifecycle.deliver(s, now, self._policy))

    def request_payment(self, contract_id: str) -> Settlement:
        now = self._clock.now_ms()
        return self._step(
            contract_id,
            "request payment",
            lambda s: lifecycle.request_payment(s, now, self._policy),
        )

    def remind(self, contract_id: str, provider: str, number: int) -> Settlement:
        """The provider's reminder ``number``, once the consumer's wait is over (see
        :func:`~plaza.market.settlement.lifecycle.check_can_remind`)."""
        self._check_provider(contract_id, provider, "remind")
        now = self._clock.now_ms()
        return self._step(
            contract_id, "remind", lambda s: lifecycle.remind(s, number, now, self._policy)
        )

    def claim(self, contract_id: str, provider: str) -> Settlement:
        """The provider's claim, after the last reminder's wait, on an owed contract only."""
        self._check_provider(contract_id, provider, "claim")
        now = self._clock.now_ms()
        return self._step(
            contract_id, "claim", lambda s: lifecycle.file_claim(s, now, self._policy)
        )

    def cancel(self, contract_id: str, party: str) -> Settlement:
        """Either party withdraws, before delivery only."""
        contract = self.get(contract_id).contract
        if party not in (contract.provider, contract.consumer):
            raise NotAParty(contract_id, party)
        now = self._clock.now_ms()
        return self._step(contract_id, "cancel", lambda s: lifecycle.cancel(s, now))

    def hold_payment(self, contract_id: str, until_ms: int) -> Settlement:
        """Its payment is held for delivery (:mod:`~plaza.market.settlement.held`): the
        contract waits for delivery until ``until_ms``."""
        now = self._clock.now_ms()
        return self._step(
            contract_id, "hold payment", lambda s: held.hold_payment(s, until_ms, now)
        )

    def settle_held(self, contract_id: str, payment: PreparedPayment | None) -> Settlement:
        """The arbiter settled its held payment: ``payment`` pays it (confirmed by
        :meth:`confirm_payments` like any payment), None refunded it (cancelled)."""
        now = self._clock.now_ms()
        name = "cancel" if payment is None else "settle held payment"
        return self._step(
            contract_id, name, lambda s: held.settle_held(s, payment, now, self._policy)
        )

    def _check_provider(self, contract_id: str, participant: str, step: str) -> None:
        contract = self.get(contract_id).contract
        if participant == contract.consumer and participant != contract.provider:
            raise WrongParty(contract_id, participant, step)
        if participant != contract.provider:
            raise NotAParty(contract_id, participant)

    def record_payment(self, contract_id: str, message_id: bytes) -> Settlement:
        """The consumer's agent paid on the ledger itself and reports the message it paid with.

        The phase is checked before the ledger is asked (a cancelled contract costs
        no lookup), and the same message reported again returns the settlement as
        it is. Once recorded, :meth:`confirm_payments` confirms it like any payment.
        """
        settlement = self.get(contract_id)
        lifecycle.check_can_record(settlement, message_id)
        if settlement.payment is not None:
            return settlement
        payment = self._payments.verify(settlement.contract, message_id)
        recorded = lifecycle.record_payment(settlement, payment, self._clock.now_ms())
        return self._save(settlement, recorded, "record payment")

    def process_payment_queue(self, consumer: str) -> int:
        """Pay up to a batch of the consumer's requested payments, funding it first if short."""
        queue = self._store.find(
            {Phase.PAYMENT_REQUESTED}, consumer=consumer, limit=self._policy.batch_size
        )
        if not queue:
            return 0
        needed = sum(settlement.contract.total for settlement in queue)
        available = self._payments.available(consumer)
        if available < needed:
            self._payments.fund(consumer, needed - available, reference=queue[0].id)
        for settlement in queue:
            self._pay(settlement)
        return len(queue)

    def _pay(self, settlement: Settlement) -> None:
        now = self._clock.now_ms()
        if settlement.payment is None:
            payment = self._payments.prepare(settlement.contract)
            settlement = self._save(
                settlement, lifecycle.attach_payment(settlement, payment, now), "prepare payment"
            )
        assert settlement.payment is not None
        self._payments.submit(settlement.payment)
        self._save(settlement, lifecycle.mark_processed(settlement, now), "pay")

    def confirm_payments(self, limit: int = 100) -> int:
        """Check processed payments on the ledger: confirmed ones fulfil their contract.

        Contracts left confirmed but not fulfilled (a crash between the two saves)
        are fulfilled here too.
        """
        waiting = self._store.find(
            {Phase.PAYMENT_PROCESSED, Phase.CLAIM_ISSUED, Phase.PAYMENT_CONFIRMED}, limit=limit
        )
        return sum(self._confirm(settlement) for settlement in waiting)

    def _confirm(self, settlement: Settlement) -> bool:
        if settlement.payment is None:
            return False
        now = self._clock.now_ms()
        if settlement.phase is not Phase.PAYMENT_CONFIRMED:
            status = self._payments.status(settlement.payment)
            if status is PaymentStatus.FAILED:
                retry = lifecycle.return_to_requested(settlement, now)
                self._save(settlement, retry, "payment failed")
            if status is not PaymentStatus.CONFIRMED:
                return False
            paid = lifecycle.confirm_payment(settlement, now)
            settlement = self._save(settlement, paid, "confirm payment")
        self._save(settlement, lifecycle.fulfil(settlement, now), "fulfil")
        return True

    def sweep(self, limit: int = 1000) -> SweepReport:
        """Apply every passed deadline: cancel, remind or claim."""
        now = self._clock.now_ms()
        open_phases = set(Phase) - TERMINAL
        counts = {"cancelled": 0, "reminded": 0, "claimed": 0}
        for settlement in self._store.find(open_phases, due_before_ms=now, limit=limit):
            after = lifecycle.on_overdue(settlement, now, self._policy)
            if after is settlement:
                continue
            if after.phase is Phase.CANCELLED:
                step = "cancelled"
            elif after.phase is Phase.CLAIM_ISSUED:
                step = "claimed"
            else:
                step = "reminded"
            self._save(settlement, after, step)
            counts[step] += 1
        return SweepReport(**counts)

    def _step(self, contract_id: str, name: str, step: Step) -> Settlement:
        settlement = self.get(contract_id)
        return self._save(settlement, step(settlement), name)

    def _save(self, before: Settlement, after: Settlement, step: str) -> Settlement:
        if after is before:
            return before
        with self._unit():
            saved = self._store.save(after)
            self._staging.changed(before, saved, step)
        self._listener.changed(before, saved, step)
        return saved
