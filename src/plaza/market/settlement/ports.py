"""What settlement needs from storage, the wallets and the rest of the marketplace."""

from __future__ import annotations

import enum
from collections.abc import Collection
from typing import Protocol

from plaza.clock import Clock
from plaza.market.settlement.model import Contract, Phase, PreparedPayment, Settlement

__all__ = ["Clock", "PaymentStatus", "Payments", "SettlementListener", "SettlementStore"]


class PaymentStatus(enum.Enum):
    PENDING = "pending"  # submitted, not confirmed yet
    CONFIRMED = "confirmed"  # applied by a milestone
    FAILED = "failed"  # confirmed as conflicting, or refused: it will never apply


class SettlementStore(Protocol):
    """Settlements by contract id, saved with optimistic concurrency."""

    def get(self, contract_id: str) -> Settlement | None:
        """The settlement of a contract, or None."""
        ...

    def create(self, settlement: Settlement) -> Settlement:
        """Store a new settlement; if the contract already has one, return that instead."""
        ...

    def save(self, settlement: Settlement) -> Settlement:
        """Store ``settlement`` if the stored version is still its ``version``; return it
        with the version incremented, else raise :class:`ConcurrentUpdate`."""
        ...

    def find(
        self,
        phases: Collection[Phase],
        *,
        consumer: str | None = None,
        due_before_ms: int | None = None,
        limit: int = 100,
    ) -> list[Settlement]:
        """Settlements in ``phases``, oldest contract first, optionally one consumer's or
        only those whose deadline has passed."""
        ...


class Payments(Protocol):
    """The consumers' wallets, as settlement sees them."""

    def available(self, participant: str) -> int:
        """What ``participant`` can pay now, net of payments still in flight."""
        ...

    def fund(self, participant: str, amount: int, *, reference: str) -> None:
        """Move ``amount`` from the participant's owner wallet to its device wallet."""
        ...

    def prepare(self, contract: Contract) -> PreparedPayment:
        """Sign the consumer's transfer of the contract total to the provider (not sent)."""
        ...

    def submit(self, payment: PreparedPayment) -> None:
        """Attach the prepared transfer; submitting the same payment again is harmless."""
        ...

    def status(self, payment: PreparedPayment) -> PaymentStatus:
        """Whether the ledger applied the transfer."""
        ...

    def verify(self, contract: Contract, message_id: bytes) -> PreparedPayment:
        """The ledger message ``message_id``, which the consumer's agent reports it paid
        ``contract`` with, as that payment: a transfer from the consumer's address paying
        the provider's at least the total and naming the contract (see
        :func:`~plaza.market.settlement.lifecycle.check_reported_payment`). Raises
        :class:`PaymentRejected` naming the failed check, or :class:`PaymentFailed` if
        the ledger could not be asked. It need not be confirmed yet: :meth:`status` says."""
        ...


class SettlementListener(Protocol):
    """Twins, notifications and claim resolution react to each change."""

    def changed(self, before: Settlement, after: Settlement, step: str) -> None:
        """Called after every saved change; must not raise."""
        ...
