"""The settlement's payments port as this deployment runs it: agents pay, not the marketplace."""

from __future__ import annotations

from plaza.market.settlement import (
    Contract,
    PaymentFailed,
    Payments,
    PaymentStatus,
    PreparedPayment,
)

__all__ = ["PaymentsByAgents"]


class PaymentsByAgents:
    """The settlement's payments port in this deployment: the marketplace pays nothing.

    Consumers' agents pay from their own device keys (``plaza.market.payments.service``
    runs on their side); the marketplace holds no participant's key, so every
    paying step refuses with :class:`~plaza.market.settlement.PaymentFailed`
    rather than being faked. An agent reports the ledger message it paid with;
    whether that message pays the contract, and whether it applied, are
    questions for the ledger: ``confirmations`` (a :class:`LedgerPayments` over
    the node, holding no device key) answers both when a node is configured.
    """

    REASON = "payments are made by the consumer's agent in this deployment"

    def __init__(self, confirmations: Payments | None = None) -> None:
        self._confirmations = confirmations

    def available(self, participant: str) -> int:
        raise PaymentFailed(participant, self.REASON)

    def fund(self, participant: str, amount: int, *, reference: str) -> None:
        raise PaymentFailed(reference, self.REASON)

    def prepare(self, contract: Contract) -> PreparedPayment:
        raise PaymentFailed(contract.id, self.REASON)

    def submit(self, payment: PreparedPayment) -> None:
        raise PaymentFailed(payment.message_id.hex(), self.REASON)

    def status(self, payment: PreparedPayment) -> PaymentStatus:
        if self._confirmations is None:
            raise PaymentFailed(payment.message_id.hex(), "no ledger node is configured")
        return self._confirmations.status(payment)

    def verify(self, contract: Contract, message_id: bytes) -> PreparedPayment:
        if self._confirmations is None:
            raise PaymentFailed(contract.id, "no ledger node is configured")
        return self._confirmations.verify(contract, message_id)
