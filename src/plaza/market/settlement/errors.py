"""Why a settlement step was refused.

SettlementError
├── ContractNotFound        no settlement for this contract id
├── InvalidTransition       the step does not apply in the contract's phase
├── NotAParty               the reporter is neither provider nor consumer
├── ConcurrentUpdate        another worker saved this settlement first; reload, retry
└── PaymentFailed           the payment port could not prepare, fund or submit
"""

from __future__ import annotations


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


class NotAParty(SettlementError):
    code = "not_a_party"

    def __init__(self, contract_id: str, participant: str) -> None:
        super().__init__(f"{participant!r} is not a party to contract {contract_id!r}")
        self.contract_id = contract_id
        self.participant = participant


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
