"""The consumer's payments: each payment cycle pays the queue, and follows what it paid.

A cycle takes up to ``batch_size`` queued records, compares their total with what
the wallet can pay, asks the owner for the shortfall (``/fund``, with the reference
``assetId:recordId`` of the batch's first record), then **prepares, saves, submits**
each payment as the market's settlement does: the device keeps it as its contract's
:class:`~plaza.market.settlement.Settlement` (``store.settlements``), moved by the
market's :mod:`~plaza.market.settlement.lifecycle`, so the signed bytes are in the
database before they reach a node, a crash and retry submits the same transfer, and a
contract is paid once. A later cycle reads the payment's fate: confirmed → ``Payment
processed`` and ``/payment_processing``; failed for good → queued again, paid afresh;
pending → the same bytes submitted again.

The ledger is the market's :class:`~plaza.market.settlement.Payments` (the device is
the one participant it pays for, its wallet's address); state changes go through the
asset module (:meth:`~plaza.energy.asset.module.AssetModule.commit`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from plaza.energy.asset.config import AssetConfig, AssetSettings, OwnTransaction
from plaza.energy.asset.ports import AssetStore, Clock
from plaza.energy.errors import EnergyError
from plaza.energy.model import TransactionStatus
from plaza.market.settlement import (
    Contract,
    PaymentFailed,
    Payments,
    PaymentStatus,
    Phase,
    Settlement,
    SettlementError,
    lifecycle,
)
from plaza.wallet import WalletError

if TYPE_CHECKING:  # the module owns its payer
    from plaza.energy.asset.module import AssetModule

__all__ = [
    "RETRYABLE",
    "UNPAID",
    "Payer",
    "log_failure",
    "own_payment",
    "settlement_contract",
]

log = logging.getLogger(__name__)

#: The consumer's statuses that may have a payment in flight (energy flowed, not yet paid).
UNPAID = tuple(status for status in TransactionStatus if status.is_unpaid)
#: Payments in flight followed per cycle, oldest contract first.
_FOLLOWED = 1000
#: Failures of a payment step that leave the record as it was, to be tried next cycle.
RETRYABLE = (EnergyError, SettlementError, WalletError)


def settlement_contract(record: OwnTransaction) -> Contract:
    """The record's contract as Plaza's settlement pays it: its value in base units."""
    if record.contract is None:
        raise PaymentFailed(record.id, "the transaction has no contract")
    return record.contract.to_settlement()


def own_payment(store: AssetStore, record: OwnTransaction) -> Settlement | None:
    """The device's payment of the record's contract, as the market keeps one (None: no
    payment was ever prepared for it)."""
    if record.contract is None:
        return None
    return store.settlements.get(record.contract.contractId)


def log_failure(
    store: AssetStore, now_ms: int, operation: str, record_id: str, detail: str
) -> None:
    """A step that failed, to be tried again: in the process log and the seed's log table."""
    log.warning("%s %s: %s", operation, record_id, detail)
    store.log(operation, detail, now_ms=now_ms, record_id=record_id, ok=False)


class Payer:
    """The consumer's side of the money: pays its queue, follows its payments."""

    def __init__(
        self,
        module: AssetModule,
        store: AssetStore,
        payments: Payments,
        *,
        wallet: str,
        clock: Clock,
        settings: AssetSettings,
    ) -> None:
        self._module = module
        self._store = store
        self._payments = payments
        self._wallet = wallet
        self._clock = clock
        self._settings = settings

    def run(self, config: AssetConfig) -> None:
        """One payment cycle: what was paid is followed first, then the queue is paid."""
        self._follow_payments()
        self._pay_batch(config)

    def _follow_payments(self) -> None:
        """Read the fate of every payment submitted and not yet confirmed."""
        submitted = self._store.settlements.find(
            {Phase.PAYMENT_PROCESSED}, consumer=self._wallet, limit=_FOLLOWED
        )
        if not submitted:
            return
        unpaid = {r.contract.contractId: r for r in self._store.records(UNPAID) if r.contract}
        for settlement in submitted:
            record = unpaid.get(settlement.id)
            try:
                self._follow(settlement, record)
            except RETRYABLE as error:
                self._log("payment_status", record.id if record else settlement.id, str(error))

    def _follow(self, settlement: Settlement, record: OwnTransaction | None) -> None:
        """Confirmed: the record is processed; failed for good: queued to be paid afresh;
        pending: the same bytes again (harmless, and heals a lost submit)."""
        assert settlement.payment is not None
        status, now = self._payments.status(settlement.payment), self._now()
        if status is PaymentStatus.PENDING:
            self._payments.submit(settlement.payment)
        elif status is PaymentStatus.FAILED:
            if record is not None:
                self._store.touch(record.id, now_ms=now, queue=True)
            self._store.settlements.save(lifecycle.return_to_requested(settlement, now))
            self._log("payment_failed", settlement.id, "the ledger will never apply it")
        else:
            if (
                record is not None
                and record.state.status is not TransactionStatus.PAYMENT_PROCESSED
            ):
                state = record.state.with_status(
                    TransactionStatus.PAYMENT_PROCESSED,
                    timestamp_ms=now,
                    paymentMessageId=settlement.payment.message_id.hex(),
                )
                self._module.commit(
                    record,
                    state,
                    operation="payment_processed",
                    letter="/payment_processing",
                    queue=False,
                )
            self.fulfil(settlement)

    def fulfil(self, settlement: Settlement) -> None:
        """The payment is confirmed: the device's settlement of the contract is done."""
        now = self._now()
        done = lifecycle.fulfil(lifecycle.confirm_payment(settlement, now), now)
        if done is not settlement:
            self._store.settlements.save(done)

    def _pay_batch(self, config: AssetConfig) -> None:
        batch = self._store.queued(self._settings.settlement.batch_size)
        if not batch:
            return
        total = sum(record.contract.value for record in batch if record.contract is not None)
        available = self._payments.available(self._wallet)
        if available < total:
            reference = f"{config.asset_id}:{batch[0].id}"
            try:
                self._payments.fund(self._wallet, total - available, reference=reference)
            except RETRYABLE as error:
                self._log("fund", "", f"funding {total - available} failed: {error}")
            available = self._payments.available(self._wallet)
        for record in batch:
            try:
                available -= self._pay(record, available)
            except RETRYABLE as error:
                self._log("pay", record.id, str(error))

    def _pay(self, record: OwnTransaction, available: int) -> int:
        """Pay the record's contract if ``available`` covers it; what it spent. The payment is
        saved as the contract's settlement before it is submitted, and the record leaves the
        queue: the cycle follows it from there (:meth:`_follow`)."""
        contract, now = settlement_contract(record), self._now()
        # the device keeps no deadlines: the marketplace reminds and claims
        settlement = self._store.settlements.create(
            Settlement(contract, Phase.PAYMENT_REQUESTED, now, now)
        )
        if settlement.payment is not None:  # prepared before: followed already
            self._store.touch(record.id, now_ms=now, queue=False)
            return 0
        if contract.total > available:
            self._log("pay", record.id, f"waits for funds: {contract.total} > {available}")
            return 0
        payment = self._payments.prepare(contract)
        prepared = lifecycle.mark_processed(lifecycle.attach_payment(settlement, payment, now), now)
        self._store.settlements.save(prepared)
        detail = f"payment {payment.message_id.hex()} of {payment.amount} prepared"
        self._store.log("prepare_payment", detail, now_ms=now, record_id=record.id)
        self._store.touch(record.id, now_ms=now, queue=False)
        try:
            self._payments.submit(payment)
        except RETRYABLE as error:  # healed by the next cycle's resubmit of the saved bytes
            self._log("pay", record.id, f"submit failed, will resubmit: {error}")
        return payment.amount

    def paying(self, record: OwnTransaction) -> bool:
        """A payment of the record is prepared: in flight, or confirmed."""
        settlement = own_payment(self._store, record)
        return settlement is not None and settlement.payment is not None

    def paid(self, record: OwnTransaction) -> bool:
        """The record's payment is confirmed on the ledger."""
        settlement = own_payment(self._store, record)
        return settlement is not None and settlement.phase is Phase.FULFILLED

    def _now(self) -> int:
        return self._clock.now_ms()

    def _log(self, operation: str, record_id: str, detail: str) -> None:
        log_failure(self._store, self._now(), operation, record_id, detail)
