"""Money after the contract: payment requests, paying, being paid, reminders and the claim.

The consumer (the seed's "Payment request verification"): a ``/payment`` is
verified against the database, the contract and the transaction's twin before it
joins the payment queue, which each payment cycle pays
(:class:`~plaza.energy.asset.paying.Payer`, the seed's "Payment processing").

The provider: a ``/payment_sent`` names a ledger message; each cycle reads it
back and checks it (signed by the consumer's wallet, paying this provider's at
least the contract's value, naming the contract) and, once confirmed, moves
to ``Payment confirmed``. Unpaid for ``maxWaitMs``: a reminder, then another,
three in all, then exactly one claim (:meth:`Cashier.chase`).

Pure: the ledger is the market's :class:`~plaza.market.settlement.Payments`, so a
reported payment is verified as the market verifies one, and the reminders and claim
are the market's rule (:func:`~plaza.market.settlement.lifecycle.on_overdue`); state
changes go through the asset module
(:meth:`~plaza.energy.asset.module.AssetModule.commit`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from plaza.crypto import Address, InvalidAddress
from plaza.energy.asset.config import AssetConfig, AssetSettings, OwnTransaction
from plaza.energy.asset.paying import (
    RETRYABLE,
    Payer,
    log_failure,
    own_payment,
    settlement_contract,
)
from plaza.energy.asset.ports import AssetStore, Clock
from plaza.energy.errors import InvalidMessage, PeerFailed, UnknownRecord, WrongState
from plaza.energy.model import AssetType, Transaction, TransactionStatus
from plaza.market.settlement import (
    Contract,
    PaymentRejected,
    Payments,
    PaymentStatus,
    Phase,
    Rejection,
    Settlement,
    lifecycle,
)

if TYPE_CHECKING:  # the module owns its cashier
    from plaza.energy.asset.module import AssetModule

__all__ = [
    "Cashier",
    "check_deal",
    "verify_payment_request",
]

MESSAGE_ID = re.compile(r"[0-9a-f]{64}")


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
        self._payer = Payer(module, store, payments, wallet=wallet, clock=clock, settings=settings)
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
        status = record.state.status
        if status is TransactionStatus.PAYMENT_CONFIRMED:
            return
        if status is TransactionStatus.PAYMENT_PROCESSED or self._payer.paid(record):
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
        queue = None if self._payer.paying(record) else True
        self._module.commit(record, state, operation="payment_requested", queue=queue)

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
        settlement = own_payment(self._store, record)
        payment = None if settlement is None else settlement.payment
        if payment is None or payment.message_id.hex() != received.paymentMessageId:
            raise InvalidMessage("the confirmation names a payment this asset did not make")
        state = record.state.with_status(
            TransactionStatus.PAYMENT_CONFIRMED,
            timestamp_ms=self._now(),
            paymentMessageId=received.paymentMessageId,
        )
        self._module.commit(record, state, operation="payment_confirmed", queue=False)
        assert settlement is not None
        self._payer.fulfil(settlement)

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
        queue = None if self._payer.paying(record) else True
        self._module.commit(record, state, operation="claim_received", claimed=True, queue=queue)

    # the cycle

    def chase(self, config: AssetConfig, record: OwnTransaction) -> None:
        """An unpaid record idle for ``maxWaitMs``."""
        if config.type is AssetType.PROVIDER:
            if not self._payment_pending(record):
                self._remind(config, record)
            return
        if self._payer.paid(record):  # say so again
            self._module.resend(record, "/payment_processing")
        else:  # pay it, unless a payment is in flight
            queue = None if self._payer.paying(record) else True
            self._store.touch(record.id, now_ms=self._now(), queue=queue)

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
        policy = replace(self._settings.settlement, max_wait_ms=config.max_wait_ms)
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
            self._payer.run(config)
        else:
            self._check_received()

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
        log_failure(self._store, self._now(), operation, record_id, detail)
