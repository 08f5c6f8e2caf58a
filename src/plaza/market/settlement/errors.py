"""Why a settlement step was refused.

SettlementError
├── ContractNotFound        no settlement for this contract id
├── InvalidTransition       the step does not apply in the contract's phase
│   └── TooEarly            it would apply, but not before the contract's deadline
├── NotAParty               the reporter is neither provider nor consumer
│   └── WrongParty          a party, but the step is the other party's
├── ConcurrentUpdate        another worker saved this settlement first; reload, retry
└── PaymentFailed           the payment port could not prepare, fund, submit or check
    └── PaymentRejected     a reported ledger message does not pay the contract; its
                            ``code`` names the check it failed (:class:`Rejection`)
"""

from __future__ import annotations

import enum


class SettlementError(Exception):
    code = "settlement_error"


class ContractNotFound(SettlementError):
    code = "contract_not_found"

    def __init__(self, contract_id: str) -> None:
        super().__init__(f"no contract {contract_id!r}")
        self.contract_id = contract_id


class InvalidTransition(SettlementError):
    code = "invalid_transition"

    def __init__(self, contract_id: str, phase: str, step: str) -> None:
        super().__init__(f"contract {contract_id!r} is {phase!r}: cannot {step}")
        self.contract_id = contract_id
        self.phase = phase
        self.step = step


class TooEarly(InvalidTransition):
    """The step waits for the contract's deadline (``due_at_ms``): a reminder or claim
    before the consumer has had its time to pay."""

    code = "too_early"

    def __init__(self, contract_id: str, phase: str, step: str, due_at_ms: int) -> None:
        super().__init__(contract_id, phase, step)
        self.args = (f"contract {contract_id!r} is {phase!r}: cannot {step} before {due_at_ms}",)
        self.due_at_ms = due_at_ms


class NotAParty(SettlementError):
    code = "not_a_party"

    def __init__(self, contract_id: str, participant: str) -> None:
        super().__init__(f"{participant!r} is not a party to contract {contract_id!r}")
        self.contract_id = contract_id
        self.participant = participant


class WrongParty(NotAParty):
    """A party asks for a step only the other party may take (a consumer's claim)."""

    code = "wrong_party"

    def __init__(self, contract_id: str, participant: str, step: str) -> None:
        super().__init__(contract_id, participant)
        self.args = (f"{participant!r} cannot {step} on contract {contract_id!r}",)
        self.step = step


class ConcurrentUpdate(SettlementError):
    code = "concurrent_update"

    def __init__(self, contract_id: str, expected: int) -> None:
        super().__init__(f"contract {contract_id!r} changed since version {expected}")
        self.contract_id = contract_id


class PaymentFailed(SettlementError):
    code = "payment_failed"

    def __init__(self, contract_id: str, reason: str) -> None:
        super().__init__(f"payment for contract {contract_id!r} failed: {reason}")
        self.contract_id = contract_id
        self.reason = reason


class Rejection(enum.StrEnum):
    """Why a reported payment is not one: each value is the error code an API answers."""

    UNKNOWN_MESSAGE = "payment_unknown_message"  # the ledger has no such message
    NOT_A_TRANSFER = "payment_not_a_transfer"  # a data or milestone message
    WRONG_PAYER = "payment_wrong_payer"  # not signed by the consumer's address
    WRONG_PAYEE = "payment_wrong_payee"  # pays the provider's address nothing
    SHORT_AMOUNT = "payment_short_amount"  # pays the provider less than the total
    WRONG_CONTRACT = "payment_wrong_contract"  # does not name this contract


class PaymentRejected(PaymentFailed):
    """The consumer reported a message that does not pay its contract.

    A :class:`PaymentFailed` because nothing was paid; apart from it because the
    reporter, not the ledger, is at fault: reporting the same message again fails
    again. ``rejection`` is the check that failed, and ``code`` its value.
    """

    code = "payment_rejected"

    def __init__(self, contract_id: str, rejection: Rejection, reason: str) -> None:
        super().__init__(contract_id, reason)
        self.rejection = rejection
        self.code = rejection.value
