"""Money after the contract: payment requests, paying, being paid, reminders and the claim.

The consumer (the seed's "Payment request verification" and "Payment
processing"): a ``/payment`` is verified against the database, the contract and
the transaction's twin before it joins the payment queue. Each payment cycle
takes up to ``payment_batch`` queued requests, compares their total with what
the wallet can pay, asks the owner for the shortfall (``/fund``), then
**prepares, saves, submits** each payment: the signed bytes are in the database
before they reach a node, so a crash and retry submits the same transfer and a
contract is paid once. A later cycle reads the payment's fate: confirmed →
``Payment processed`` and ``/payment_processing``; failed for good → forgotten,
paid afresh.

The provider: a ``/payment_sent`` names a ledger message; each cycle reads it
back and checks it (signed by the consumer's wallet, paying this provider's at
least the contract's value, naming the contract) and, once confirmed, moves
to ``Payment confirmed``. Unpaid for ``maxWaitMs``: a reminder, then another,
three in all, then exactly one claim (:meth:`Cashier.chase`).

Pure: the ledger is the market's :class:`~plaza.market.settlement.Payments` (the device
is the one participant it pays for, its wallet's address), so a payment is prepared,
submitted, followed and a reported one verified as the market does it; state changes go
through the asset module (:meth:`~plaza.energy.asset.module.AssetModule.commit`). The owner's
funding is :mod:`plaza.energy.asset.funding`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from plaza.crypto import Address, InvalidAddress
from plaza.energy.asset.config import AssetConfig, AssetSettings, OwnTransaction
from plaza.energy.asset.ports import AssetStore, Clock
from plaza.energy.errors import EnergyError, InvalidMessage, PeerFailed, UnknownRecord, WrongState
from plaza.energy.model import AssetType, Transaction, TransactionStatus
from plaza.market.settlement import (
    Contract,
    PaymentFailed,
    PaymentRejected,
    Payments,
    PaymentStatus,
    Phase,
    PreparedPayment,
    Rejection,
    Settlement,
    SettlementError,
    SettlementPolicy,
    lifecycle,
)
from plaza.wallet import WalletError

if TYPE_CHECKING:  # the module owns its cashier
    from plaza.energy.asset.module import AssetModule

__all__ = [
    "Cashier",
    "check_deal",
    "settlement_contract",
    "verify_payment_request",
]

log = logging.getLogger(__name__)
MESSAGE_ID = re.compile(r"[0-9a-f]{64}")
#: Failures of a payment step that leave the record as it was, to be tried next cycle.
RETRYABLE = (EnergyError, SettlementError, WalletError)


def settlement_contract(record: OwnTransaction) -> Contract:
    """The record's contract as Plaza's settlement pays it: its value in base units."""
    if record.contract is None:
        raise PaymentFailed(record.id, "the transaction has no contract")
    return record.contract.to_settlement()


def check_deal(
    config: AssetConfig, record: OwnTransaction, deal: Transaction, *, wallet: str
) -> None:
    """A contract this asset can keep: real wallets (its own among them), a price it takes."""
    for address in (deal.walletAddress, deal.requesterWalletAddress):
        try:
            Address.parse(address)
        except InvalidAddress:
            raise InvalidMessage(f"the contract names no valid wallet: {address!r}") from None
    provider = config.type is AssetType.PROVIDER
    if (deal.walletAddress if provider else deal.requesterWalletAddress) != wallet:
        raise InvalidMessage("the contract names another wallet for this asset")
    too_dear = not provider and deal.energyPrice > record.state.energyPrice
    if deal.energyPrice < 1 or too_dear:
        raise InvalidMessage(f"the contract's price {deal.energyPrice} is not acceptable")


def verify_payment_request(
    record: OwnTransaction,
    received: Transaction,
    *,
    wallet: str,
    first_state: Mapping[str, Any] | None,
    twin_state: Callable[[], Mapping[str, Any] | None],
) -> None:
    """The seed's "Payment request verification", with the list ``docs/energy.md`` fixes."""
    assert record.contract is not None
    if differing := received.same_terms(record.contract.transaction):
        raise InvalidMessage(
            f"the payment request differs from the contract in {', '.join(differing)}"
        )
    if received.requesterWalletAddress != wallet:
        raise InvalidMessage("the payment request names another wallet as the payer")
    if first_state is None:
        raise UnknownRecord(f"{record.id} has no stored first state")
    initial = Transaction.from_json(first_state)
    if received.energyAmount != initial.energyAmount or (
        received.energyPrice > initial.energyPrice
    ):
        raise InvalidMessage("the payment request differs from the initial request's terms")
    on_twin = twin_state()
    if on_twin is None:
        raise PeerFailed(
            "ledger",
            "",
            f"the twin of {record.id} cannot be read or holds a state not signed by this device",
            refused=False,
        )
    if dict(on_twin) != dict(first_state):
        raise InvalidMessage("the twin's first state differs from the stored one")


class Cashier:
    """The asset's money: letters about payments, the payment cycle, reminders."""

    def __init__(
        self,
        module: AssetModule,
        store: AssetStore,
        payments: Payments,
        *,
        wallet: str,
        twin_state: Callable[[str], Mapping[str, Any] | None],
        clock: Clock,
        settings: AssetSettings,
    ) -> None:
        self._module = module
        self._store = store
        self._payments = payments
        self._wallet = wallet
        self._twin_state = twin_state
        self._clock = clock
        self._settings = settings
        self._last_run_ms: int | None = None
        self._rejected: set[str] = set()

    # letters

    def on_payment(
        self, config: AssetConfig, record: OwnTransaction, received: Transaction
    ) -> None:
        """Consumer: a verified request joins the queue; a reminder of a paid one is answered."""
        verify_payment_request(
            record,
            received,
            wallet=self._wallet,
            first_state=self._store.first_state(record.id),
            twin_state=lambda: self._twin_state(record.id),
        )
        status, prepared = record.state.status, self._store.prepared(record.id)
        if status is TransactionStatus.PAYMENT_CONFIRMED:
            return
        if status is TransactionStatus.PAYMENT_PROCESSED or (prepared is not None and prepared[1]):
            self._module.resend(record, "/payment_processing")
            return
        if (
            status is TransactionStatus.PAYMENT_REQUESTED
            and received.reminders <= record.state.reminders
        ):
            return  # delivered before
        if status is TransactionStatus.CONTRACT_CREATED:  # the provider finished first: so do we
            record = self._module.provide(config, record)
        elif status not in (
            TransactionStatus.PROVISION_FINISHED,
            TransactionStatus.PAYMENT_REQUESTED,
            TransactionStatus.CLAIM_ISSUED,
        ):
            raise WrongState(f"{record.id} is {status}: no payment can be requested")
        state = record.state.with_status(
            TransactionStatus.PAYMENT_REQUESTED,
            timestamp_ms=self._now(),
            reminders=max(record.state.reminders, received.reminders),
        )
        self._module.commit(record, state, operation="payment_requested", queue=True)

    def on_payment_sent(
        self, config: AssetConfig, record: OwnTransaction, received: Transaction
    ) -> None:
        """Provider: the consumer says it paid; the cycle checks the ledger."""
        message, status = received.paymentMessageId, record.state.status
        if not MESSAGE_ID.fullmatch(message):
            raise InvalidMessage("paymentMessageId must be a ledger message id (64 hex)")
        if (
            status is TransactionStatus.PAYMENT_CONFIRMED
            or record.state.paymentMessageId == message
        ):
            return  # delivered before, or paid already
        if not status.is_unpaid:
            raise WrongState(f"{record.id} is {status}: nothing is due yet")
        state = record.state.with_status(
            TransactionStatus.PAYMENT_SENT, timestamp_ms=self._now(), paymentMessageId=message
        )
        self._module.commit(record, state, operation="payment_sent")

    def on_confirmed(
        self, config: AssetConfig, record: OwnTransaction, received: Transaction
    ) -> None:
        """Consumer: the provider found our payment on the ledger."""
        if record.state.status is TransactionStatus.PAYMENT_CONFIRMED:
            return
        prepared = self._store.prepared(record.id)
        if prepared is None or prepared[0].message_id.hex() != received.paymentMessageId:
            raise InvalidMessage("the confirmation names a payment this asset did not make")
        state = record.state.with_status(
            TransactionStatus.PAYMENT_CONFIRMED,
            timestamp_ms=self._now(),
            paymentMessageId=received.paymentMessageId,
        )
        self._module.commit(record, state, operation="payment_confirmed", queue=False, paid=True)

    def on_claim(self, config: AssetConfig, record: OwnTransaction, received: Transaction) -> None:
        """Consumer: the provider claims; logged, and still paid if it is not yet."""
        if record.state.status is TransactionStatus.CLAIM_ISSUED:
            return
        if record.state.status.is_final:
            raise WrongState(f"{record.id} is {record.state.status}: nothing to claim")
        self._store.log(
            "claim",
            f"the provider {received.providerId} claims {record.id}",
            now_ms=self._now(),
            record_id=record.id,
            ok=False,
        )
        state = record.state.with_status(
            TransactionStatus.CLAIM_ISSUED,
            timestamp_ms=self._now(),
            reminders=max(record.state.reminders, received.reminders),
        )
        prepared = self._store.prepared(record.id)
        paid = prepared is not None and prepared[1]
        self._module.commit(
            record, state, operation="claim_received", claimed=True, queue=None if paid else True
        )

    # the cycle

    def chase(self, config: AssetConfig, record: OwnTransaction) -> None:
        """An unpaid record idle for ``maxWaitMs``."""
        if config.type is AssetType.PROVIDER:
            if not self._payment_pending(record):
                self._remind(config, record)
            return
        prepared = self._store.prepared(record.id)
        if prepared is not None and prepared[1]:  # paid: say so again
            self._module.resend(record, "/payment_processing")
        else:  # pay it (again); a payment in flight keeps it from being paid twice
            self._store.touch(record.id, now_ms=self._now(), queue=True)

    def _payment_pending(self, record: OwnTransaction) -> bool:
        """The consumer named a payment the marketplace checked on the ledger before it
        relayed it: the provider waits for its confirmation (each cycle reads it) instead of
        reminding, which the marketplace would refuse, unless this module found it wanting."""
        message = record.state.paymentMessageId
        return (
            record.state.status is TransactionStatus.PAYMENT_SENT
            and bool(MESSAGE_ID.fullmatch(message))
            and message not in self._rejected
        )

    def _remind(self, config: AssetConfig, record: OwnTransaction) -> None:
        """The provider's reminders, then exactly one claim, as the market decides for an
        overdue contract (:func:`~plaza.market.settlement.lifecycle.on_overdue`)."""
        now = self._now()
        phase = Phase.CLAIM_ISSUED if record.claimed else Phase.PAYMENT_REQUESTED
        due = record.idle_since_ms + config.max_wait_ms
        owed = Settlement(
            settlement_contract(record), phase, record.idle_since_ms, due, record.state.reminders
        )
        policy = SettlementPolicy(
            max_wait_ms=config.max_wait_ms, max_reminders=self._settings.max_reminders
        )
        after = lifecycle.on_overdue(owed, now, policy)
        if after.reminders > owed.reminders:
            state = record.state.with_status(
                TransactionStatus.REMINDER_ISSUED, timestamp_ms=now, reminders=after.reminders
            )
            self._module.commit(record, state, operation="reminder", letter="/reminder")
        elif after is not owed:
            state = record.state.with_status(TransactionStatus.CLAIM_ISSUED, timestamp_ms=now)
            self._module.commit(record, state, operation="claim", letter="/claim", claimed=True)

    def run(self, config: AssetConfig) -> None:
        """One payment cycle, at most once per ``paymentQueueProcessingSpeed``."""
        now = self._now()
        if self._last_run_ms is not None and now - self._last_run_ms < config.payment_speed_ms:
            return
        self._last_run_ms = now
        if config.type is AssetType.CONSUMER:
            for record_id, payment in self._store.in_flight():
                try:
                    self._settle(record_id, payment)
                except RETRYABLE as error:
                    self._log("payment_status", record_id, str(error))
            self._pay_batch(config)
        else:
            self._check_received()

    def _settle(self, record_id: str, payment: PreparedPayment) -> None:
        status = self._payments.status(payment)
        if status is PaymentStatus.FAILED:
            self._store.drop_prepared(
                record_id, now_ms=self._now(), reason="the ledger will never apply it"
            )
        elif status is PaymentStatus.PENDING:
            self._payments.submit(payment)  # the same bytes again: harmless, heals a lost submit
        elif (record := self._store.record(record_id)) is not None:
            state = record.state.with_status(
                TransactionStatus.PAYMENT_PROCESSED,
                timestamp_ms=self._now(),
                paymentMessageId=payment.message_id.hex(),
            )
            self._module.commit(
                record,
                state,
                operation="payment_processed",
                letter="/payment_processing",
                queue=False,
                paid=True,
            )

    def _pay_batch(self, config: AssetConfig) -> None:
        batch = self._store.queued(self._settings.payment_batch)
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
        """Pay the record's contract if ``available`` covers it; what it spent."""
        contract = settlement_contract(record)
        if contract.total > available:
            self._log("pay", record.id, f"waits for funds: {contract.total} > {available}")
            return 0
        payment = self._payments.prepare(contract)
        self._store.save_prepared(record.id, payment, now_ms=self._now())
        try:
            self._payments.submit(payment)
        except RETRYABLE as error:  # healed by the next cycle's resubmit of the saved bytes
            self._log("pay", record.id, f"submit failed, will resubmit: {error}")
        return payment.amount

    def _check_received(self) -> None:
        waiting = (
            TransactionStatus.PAYMENT_SENT,
            TransactionStatus.REMINDER_ISSUED,
            TransactionStatus.CLAIM_ISSUED,
        )
        for record in self._store.records(waiting):
            message = record.state.paymentMessageId
            if not MESSAGE_ID.fullmatch(message) or message in self._rejected:
                continue
            try:
                status = self._received(settlement_contract(record), bytes.fromhex(message))
            except PaymentRejected as error:
                self._reject(record, message, str(error))
                continue
            except RETRYABLE as error:
                self._log("check_payment", record.id, str(error))
                continue
            if status is PaymentStatus.FAILED:
                self._reject(record, message, "the ledger will never apply it")
            elif status is PaymentStatus.CONFIRMED:
                state = record.state.with_status(
                    TransactionStatus.PAYMENT_CONFIRMED, timestamp_ms=self._now()
                )
                self._module.commit(
                    record, state, operation="payment_confirmed", letter="/payment_confirmation"
                )

    def _received(self, contract: Contract, message_id: bytes) -> PaymentStatus:
        """The fate of the payment the consumer reported, checked as the market checks one
        (:meth:`~plaza.market.settlement.Payments.verify`); PENDING while this node does not
        have the message yet."""
        try:
            payment = self._payments.verify(contract, message_id)
        except PaymentRejected as error:
            if error.rejection is Rejection.UNKNOWN_MESSAGE:
                return PaymentStatus.PENDING  # not (yet) on this node: look again next cycle
            raise
        return self._payments.status(payment)

    def _reject(self, record: OwnTransaction, message: str, reason: str) -> None:
        """The reported payment will never pay the record: it is not read again."""
        self._rejected.add(message)
        self._log("check_payment", record.id, f"payment {message} rejected: {reason}")

    def _now(self) -> int:
        return self._clock.now_ms()

    def _log(self, operation: str, record_id: str, detail: str) -> None:
        log.warning("%s %s: %s", operation, record_id, detail)
        self._store.log(operation, detail, now_ms=self._now(), record_id=record_id, ok=False)
