"""An in-memory ledger of consumer payments for settlement tests, with crash injection.

It behaves like the real thing where settlement's safety depends on it: a
payment is identified by its message id and applied at most once however often
it is submitted, a payment the payer cannot cover fails when "confirmed", and
funding moves coins from the owner's wallet, and a payment a consumer reports
must be a transfer this fake carried (:meth:`FakePayments.transfer` is the
consumer's agent paying on its own; :meth:`FakePayments.post_data` a message
that moves nothing). ``crash`` lets a test make any call fail before it takes
effect, to simulate a worker dying mid-step.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from plaza.market.settlement import (
    Contract,
    PaymentFailed,
    PaymentRejected,
    PaymentStatus,
    PreparedPayment,
    Rejection,
    ReportedTransfer,
)
from plaza.market.settlement.lifecycle import check_reported_payment

__all__ = ["FakePayments", "InjectedCrash"]


class InjectedCrash(Exception):
    """A test's stand-in for a process dying in the middle of a step."""


@dataclass(frozen=True)
class _Transfer:
    payer: str
    payee: str
    amount: int
    contract_id: str | None


class FakePayments:
    def __init__(
        self,
        balances: dict[str, int],
        owner_funds: dict[str, int],
        *,
        crash: Callable[[str], None] = lambda _where: None,
    ) -> None:
        self.balances = balances
        self.owner_funds = owner_funds
        self.crash = crash
        self._counter = itertools.count()
        self._prepared: dict[bytes, _Transfer] = {}
        self._submitted: dict[bytes, _Transfer] = {}
        self._data: set[bytes] = set()
        self._applied: set[bytes] = set()
        self._failed: set[bytes] = set()
        self.paid: Counter[str] = Counter()  # contract id -> amount applied on the ledger

    def available(self, participant: str) -> int:
        self.crash("available")
        in_flight = sum(
            t.amount
            for message, t in self._submitted.items()
            if t.payer == participant and message not in self._applied | self._failed
        )
        return self.balances.get(participant, 0) - in_flight

    def fund(self, participant: str, amount: int, *, reference: str) -> None:
        self.crash("fund")
        moved = min(amount, self.owner_funds.get(participant, 0))
        if moved <= 0:
            raise PaymentFailed(reference, f"the owner of {participant} has no funds")
        self.owner_funds[participant] -= moved
        self.balances[participant] = self.balances.get(participant, 0) + moved

    def prepare(self, contract: Contract) -> PreparedPayment:
        self.crash("prepare")
        transfer = _Transfer(contract.consumer, contract.provider, contract.total, contract.id)
        return self._sign(transfer)

    def _sign(self, transfer: _Transfer) -> PreparedPayment:
        message = self._new_id()
        self._prepared[message] = transfer
        return PreparedPayment(message, b"signed transfer " + message, transfer.amount)

    def _new_id(self) -> bytes:
        return hashlib.blake2b(f"message/{next(self._counter)}".encode(), digest_size=32).digest()

    def submit(self, payment: PreparedPayment) -> None:
        self.crash("submit")
        self._submitted.setdefault(payment.message_id, self._prepared[payment.message_id])

    def transfer(
        self, payer: str, payee: str, amount: int, *, contract_id: str | None = None
    ) -> bytes:
        """A participant's agent pays on its own, as a wallet sends: signed and submitted at
        once; ``contract_id`` is the contract its data names. Returns the message id."""
        self.crash("transfer")
        payment = self._sign(_Transfer(payer, payee, amount, contract_id))
        self._submitted[payment.message_id] = self._prepared[payment.message_id]
        return payment.message_id

    def post_data(self) -> bytes:
        """A message that is not a transfer (a twin, a channel write); its id."""
        message = self._new_id()
        self._data.add(message)
        return message

    def verify(self, contract: Contract, message_id: bytes) -> PreparedPayment:
        self.crash("verify")
        if message_id in self._data:
            raise PaymentRejected(contract.id, Rejection.NOT_A_TRANSFER, "it is a data message")
        transfer = self._submitted.get(message_id)
        if transfer is None:
            raise PaymentRejected(
                contract.id, Rejection.UNKNOWN_MESSAGE, "no such message was submitted"
            )
        reported = ReportedTransfer(
            message_id,
            b"signed transfer " + message_id,
            transfer.payer,
            ((transfer.payee, transfer.amount),),
            transfer.contract_id,
        )
        return check_reported_payment(contract, reported)

    def status(self, payment: PreparedPayment) -> PaymentStatus:
        self.crash("status")
        if payment.message_id in self._applied:
            return PaymentStatus.CONFIRMED
        if payment.message_id in self._failed:
            return PaymentStatus.FAILED
        return PaymentStatus.PENDING

    def confirm(self) -> None:
        """A milestone: apply every submitted payment its payer covers, fail the rest."""
        for message, transfer in self._submitted.items():
            if message in self._applied or message in self._failed:
                continue
            payer, payee = transfer.payer, transfer.payee
            if self.balances.get(payer, 0) < transfer.amount:
                self._failed.add(message)
                continue
            self.balances[payer] -= transfer.amount
            self.balances[payee] = self.balances.get(payee, 0) + transfer.amount
            self._applied.add(message)
            if transfer.contract_id is not None:
                self.paid[transfer.contract_id] += transfer.amount
