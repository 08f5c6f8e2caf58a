"""The settlement state machine as pure functions: a settlement and a time in, the next out.

Every step is idempotent: asking for a phase the contract has already reached
returns it unchanged, so a retried request or a replayed job changes nothing.
A step that does not apply at all (paying a cancelled contract) is refused.
"""

from __future__ import annotations

from dataclasses import replace

from plaza.market.settlement.errors import (
    InvalidTransition,
    PaymentRejected,
    Rejection,
    TooEarly,
)
from plaza.market.settlement.model import (
    TERMINAL,
    UNPAID,
    Contract,
    Phase,
    PreparedPayment,
    ReportedTransfer,
    Settlement,
    SettlementPolicy,
)

__all__ = [
    "OWED",
    "attach_payment",
    "cancel",
    "check_can_cancel",
    "check_can_claim",
    "check_can_record",
    "check_can_remind",
    "check_reported_payment",
    "confirm_payment",
    "deliver",
    "file_claim",
    "fulfil",
    "mark_processed",
    "on_overdue",
    "open_settlement",
    "record_payment",
    "remind",
    "request_payment",
    "return_to_requested",
]

_PROGRESS = (
    Phase.CONTRACT_CREATED,
    Phase.PROVISION_FINISHED,
    Phase.PAYMENT_REQUESTED,
    Phase.PAYMENT_PROCESSED,
    Phase.PAYMENT_CONFIRMED,
    Phase.FULFILLED,
)


def _reached(settlement: Settlement, phase: Phase) -> bool:
    current = settlement.phase
    return current in _PROGRESS and _PROGRESS.index(current) >= _PROGRESS.index(phase)


def _advance(
    settlement: Settlement, step: str, source: Phase, target: Phase, now_ms: int
) -> Settlement:
    if _reached(settlement, target):
        return settlement
    if settlement.phase is not source:
        raise InvalidTransition(settlement.id, settlement.phase, step)
    return replace(settlement, phase=target, updated_at_ms=now_ms)


def open_settlement(contract: Contract, now_ms: int, policy: SettlementPolicy) -> Settlement:
    deadline = now_ms + policy.provision_timeout_ms
    return Settlement(contract, Phase.CONTRACT_CREATED, now_ms, deadline)


def deliver(settlement: Settlement, now_ms: int, policy: SettlementPolicy) -> Settlement:
    """Provision finished: from now the consumer has ``max_wait_ms`` to pay."""
    delivered = _advance(
        settlement, "report delivery", Phase.CONTRACT_CREATED, Phase.PROVISION_FINISHED, now_ms
    )
    if delivered is settlement:
        return settlement
    return replace(delivered, deadline_ms=now_ms + policy.max_wait_ms)


def request_payment(settlement: Settlement, now_ms: int, policy: SettlementPolicy) -> Settlement:
    """The provider asks for the money: the consumer's ``max_wait_ms`` starts again here, so
    a reminder never comes sooner than that after the request."""
    requested = _advance(
        settlement, "request payment", Phase.PROVISION_FINISHED, Phase.PAYMENT_REQUESTED, now_ms
    )
    if requested is settlement:
        return settlement
    return replace(requested, deadline_ms=now_ms + policy.max_wait_ms)


def attach_payment(settlement: Settlement, payment: PreparedPayment, now_ms: int) -> Settlement:
    """Keep the signed transfer before it is submitted; an attached one is never replaced."""
    if settlement.payment is not None:
        return settlement
    if settlement.phase is not Phase.PAYMENT_REQUESTED:
        raise InvalidTransition(settlement.id, settlement.phase, "prepare a payment")
    return replace(settlement, payment=payment, updated_at_ms=now_ms)


def mark_processed(settlement: Settlement, now_ms: int) -> Settlement:
    if settlement.payment is None and not _reached(settlement, Phase.PAYMENT_PROCESSED):
        raise InvalidTransition(settlement.id, settlement.phase, "pay without a payment")
    return _advance(
        settlement, "mark paid", Phase.PAYMENT_REQUESTED, Phase.PAYMENT_PROCESSED, now_ms
    )


#: Where a consumer's own payment may be recorded: delivered and unpaid (paying before
#: being asked is allowed), or claimed, which a late payment still settles.
_RECORDABLE = frozenset({Phase.PROVISION_FINISHED, Phase.PAYMENT_REQUESTED, Phase.CLAIM_ISSUED})


def check_can_record(settlement: Settlement, message_id: bytes) -> None:
    """Refuse recording ``message_id`` where no payment can be recorded, or where another
    payment already is (the contract is paid, or being paid, by that one)."""
    payment = settlement.payment
    if payment is not None:
        if payment.message_id != message_id:
            raise InvalidTransition(settlement.id, settlement.phase, "record another payment")
        return
    if settlement.phase not in _RECORDABLE:
        raise InvalidTransition(settlement.id, settlement.phase, "record a payment")


def record_payment(settlement: Settlement, payment: PreparedPayment, now_ms: int) -> Settlement:
    """The consumer's agent paid on the ledger itself: its checked transfer is the payment.

    From here it is confirmed like one the marketplace submitted; a claimed
    contract stays claimed until the ledger confirms the payment.
    """
    check_can_record(settlement, payment.message_id)
    if settlement.payment is not None:
        return settlement
    if settlement.phase is Phase.CLAIM_ISSUED:
        return replace(settlement, payment=payment, updated_at_ms=now_ms)
    return replace(settlement, phase=Phase.PAYMENT_PROCESSED, payment=payment, updated_at_ms=now_ms)


def check_reported_payment(contract: Contract, transfer: ReportedTransfer) -> PreparedPayment:
    """The transfer as the contract's payment, if it is one: signed by the consumer, paying
    the provider at least the total, and naming this contract, so that one transfer can
    never pay two contracts between the same parties."""
    reference = contract.id
    if transfer.payer != contract.consumer:
        raise PaymentRejected(
            reference, Rejection.WRONG_PAYER, f"it is paid by {transfer.payer}, not the consumer"
        )
    paid = transfer.paid_to(contract.provider)
    if paid == 0:
        raise PaymentRejected(reference, Rejection.WRONG_PAYEE, "it pays the provider nothing")
    if paid < contract.total:
        raise PaymentRejected(
            reference, Rejection.SHORT_AMOUNT, f"it pays {paid}, the total is {contract.total}"
        )
    if transfer.contract_id != contract.id:
        named = "no contract" if transfer.contract_id is None else repr(transfer.contract_id)
        raise PaymentRejected(reference, Rejection.WRONG_CONTRACT, f"it names {named}")
    return PreparedPayment(transfer.message_id, transfer.raw, paid)


def return_to_requested(settlement: Settlement, now_ms: int) -> Settlement:
    """The ledger refused the payment (it applied nothing): forget it, pay again later."""
    if settlement.phase is Phase.PAYMENT_PROCESSED:
        return replace(
            settlement, phase=Phase.PAYMENT_REQUESTED, payment=None, updated_at_ms=now_ms
        )
    if settlement.phase is Phase.CLAIM_ISSUED:
        return replace(settlement, payment=None, updated_at_ms=now_ms)
    raise InvalidTransition(settlement.id, settlement.phase, "retry the payment")


def confirm_payment(settlement: Settlement, now_ms: int) -> Settlement:
    """The ledger confirmed the payment; a late payment also settles a claim."""
    if settlement.phase is Phase.CLAIM_ISSUED and settlement.payment is not None:
        return replace(settlement, phase=Phase.PAYMENT_CONFIRMED, updated_at_ms=now_ms)
    return _advance(
        settlement, "confirm payment", Phase.PAYMENT_PROCESSED, Phase.PAYMENT_CONFIRMED, now_ms
    )


def fulfil(settlement: Settlement, now_ms: int) -> Settlement:
    return _advance(settlement, "fulfil", Phase.PAYMENT_CONFIRMED, Phase.FULFILLED, now_ms)


def on_overdue(settlement: Settlement, now_ms: int, policy: SettlementPolicy) -> Settlement:
    """What a deadline passing does: cancel the undelivered, remind the unpaid, then claim.

    The claim comes after the third reminder: reminder 1, 2 and 3 at the first
    three overdue deadlines, the claim at the fourth.
    """
    if settlement.phase in TERMINAL or now_ms < settlement.deadline_ms:
        return settlement
    if settlement.phase is Phase.CONTRACT_CREATED:
        return replace(settlement, phase=Phase.CANCELLED, updated_at_ms=now_ms)
    if settlement.phase not in UNPAID:
        return settlement
    if settlement.reminders < policy.max_reminders:
        return replace(
            settlement,
            reminders=settlement.reminders + 1,
            deadline_ms=now_ms + policy.max_wait_ms,
            updated_at_ms=now_ms,
        )
    return replace(settlement, phase=Phase.CLAIM_ISSUED, updated_at_ms=now_ms)


# -- steps a party takes ------------------------------------------------------------------

#: Delivered and owed: no payment is recorded, submitted or confirmed. Only these get
#: reminders and claims; a contract being paid is left to its payment.
OWED = frozenset({Phase.PROVISION_FINISHED, Phase.PAYMENT_REQUESTED})


def _check_owed(settlement: Settlement, step: str) -> None:
    if settlement.phase not in OWED or settlement.payment is not None:
        raise InvalidTransition(settlement.id, settlement.phase, step)


def _check_due(settlement: Settlement, step: str, now_ms: int) -> None:
    if now_ms < settlement.deadline_ms:
        raise TooEarly(settlement.id, settlement.phase, step, settlement.deadline_ms)


def check_can_remind(
    settlement: Settlement, number: int, now_ms: int, policy: SettlementPolicy
) -> None:
    """Reminder ``number`` may go out: the contract is owed, ``number`` is the next one (one
    more than those sent, at most ``max_reminders``) and the consumer's ``max_wait_ms``
    since the payment request or the previous reminder is over."""
    step = f"send reminder {number}"
    _check_owed(settlement, step)
    if number != settlement.reminders + 1 or number > policy.max_reminders:
        raise InvalidTransition(
            settlement.id, settlement.phase, f"{step} after {settlement.reminders}"
        )
    _check_due(settlement, step, now_ms)


def remind(
    settlement: Settlement, number: int, now_ms: int, policy: SettlementPolicy
) -> Settlement:
    """The provider's reminder ``number``; the consumer's wait starts again. A reminder
    already sent (``number`` at most the count) returns the settlement unchanged."""
    if 1 <= number <= settlement.reminders:
        return settlement
    check_can_remind(settlement, number, now_ms, policy)
    return replace(
        settlement, reminders=number, deadline_ms=now_ms + policy.max_wait_ms, updated_at_ms=now_ms
    )


def check_can_claim(settlement: Settlement, now_ms: int, policy: SettlementPolicy) -> None:
    """A claim may be filed: the contract is owed (a checked payment, even unconfirmed, is
    never claimed), all ``max_reminders`` went out and the wait after the last is over."""
    _check_owed(settlement, "claim")
    if settlement.reminders < policy.max_reminders:
        step = f"claim after {settlement.reminders} of {policy.max_reminders} reminders"
        raise InvalidTransition(settlement.id, settlement.phase, step)
    _check_due(settlement, "claim", now_ms)


def file_claim(settlement: Settlement, now_ms: int, policy: SettlementPolicy) -> Settlement:
    """The provider claims an unpaid contract; claiming it again changes nothing, and a
    late payment still settles it (:func:`record_payment`, :func:`confirm_payment`)."""
    if settlement.phase is Phase.CLAIM_ISSUED:
        return settlement
    check_can_claim(settlement, now_ms, policy)
    return replace(settlement, phase=Phase.CLAIM_ISSUED, updated_at_ms=now_ms)


def check_can_cancel(settlement: Settlement) -> None:
    """A party may withdraw only before delivery: once energy flowed, it is paid or claimed."""
    if settlement.phase is not Phase.CONTRACT_CREATED:
        raise InvalidTransition(settlement.id, settlement.phase, "cancel")


def cancel(settlement: Settlement, now_ms: int) -> Settlement:
    """A party cancels the contract before delivery; cancelling it again changes nothing."""
    if settlement.phase is Phase.CANCELLED:
        return settlement
    check_can_cancel(settlement)
    return replace(settlement, phase=Phase.CANCELLED, updated_at_ms=now_ms)
