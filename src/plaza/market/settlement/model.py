"""Contracts and their settlement, as the energy seed's lifecycle describes it.

::

    Contract created ─deliver─▶ Energy provision finished ─request─▶ Payment requested
        │                                │                                │ pay (queue, batches)
        │ overdue                        │ overdue: remind 3x, then claim ▼
        ▼                                ▼                          Payment processed
    Cancelled                        Claim issued  ◀── overdue ───────────┤ ledger confirms
                                                                          ▼
                                                   Fulfilled ◀── Payment confirmed

Statuses keep the seed's words, because devices and user modules show them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
    "TERMINAL",
    "UNPAID",
    "Contract",
    "Phase",
    "PreparedPayment",
    "ReportedTransfer",
    "Settlement",
    "SettlementPolicy",
]


class Phase(enum.StrEnum):
    CONTRACT_CREATED = "Contract created"
    PROVISION_FINISHED = "Energy provision finished"
    PAYMENT_REQUESTED = "Payment requested"
    PAYMENT_PROCESSED = "Payment processed"
    PAYMENT_CONFIRMED = "Payment confirmed"
    FULFILLED = "Fulfilled"
    CANCELLED = "Cancelled"
    CLAIM_ISSUED = "Claim issued"


TERMINAL = frozenset({Phase.FULFILLED, Phase.CANCELLED, Phase.CLAIM_ISSUED})
#: Delivered but not paid: these get reminders, then a claim.
UNPAID = frozenset({Phase.PROVISION_FINISHED, Phase.PAYMENT_REQUESTED, Phase.PAYMENT_PROCESSED})


@dataclass(frozen=True, slots=True)
class Contract:
    """What a match committed both parties to; ``total`` is in integer base units.

    ``kind`` is the kind of good traded (the vertical's hooks are chosen by it;
    empty for contracts made before it was recorded). ``value`` is set when the
    kind prices a contract otherwise than ``quantity * unit_price`` (energy: Wh at
    a price per kWh, rounded up); see :mod:`plaza.market.kinds`.
    """

    id: str
    provider: str
    consumer: str
    quantity: int
    unit_price: int
    created_at_ms: int
    kind: str = ""
    value: int | None = None

    @property
    def total(self) -> int:
        """What the consumer pays: the kind's ``value``, else quantity times unit price."""
        return self.quantity * self.unit_price if self.value is None else self.value


@dataclass(frozen=True, slots=True)
class PreparedPayment:
    """A signed transfer, kept byte for byte so that a retry submits the same message.

    Submitting the same bytes twice is harmless (same id: the node already has it),
    and the ledger refuses the same signed transfer under another nonce, so a
    contract is paid at most once however often a crashed step is retried.
    """

    message_id: bytes
    raw: bytes
    amount: int


@dataclass(frozen=True, slots=True)
class ReportedTransfer:
    """A ledger transfer a consumer says it paid with, as settlement checks it.

    ``payer`` is the participant id (address) that signed it, ``outputs`` what it
    pays to which participant id, ``contract_id`` the contract its data names
    (None: it names none). Payment ports read these from the ledger; the checks
    themselves are :func:`plaza.market.settlement.lifecycle.check_reported_payment`.
    """

    message_id: bytes
    raw: bytes
    payer: str
    outputs: tuple[tuple[str, int], ...]
    contract_id: str | None

    def paid_to(self, payee: str) -> int:
        return sum(amount for address, amount in self.outputs if address == payee)


@dataclass(frozen=True, slots=True)
class SettlementPolicy:
    """Deadlines and batch sizes; the seed's defaults where it gives them."""

    provision_timeout_ms: int = 60 * 60 * 1000
    max_wait_ms: int = 15 * 60 * 1000
    max_reminders: int = 3
    batch_size: int = 10  # payment requests paid per queue cycle


@dataclass(frozen=True, slots=True)
class Settlement:
    """Where one contract stands. ``version`` guards against lost concurrent updates."""

    contract: Contract
    phase: Phase
    updated_at_ms: int
    deadline_ms: int
    reminders: int = 0
    payment: PreparedPayment | None = None
    version: int = 0

    @property
    def id(self) -> str:
        return self.contract.id

    @property
    def finished(self) -> bool:
        return self.phase in TERMINAL
