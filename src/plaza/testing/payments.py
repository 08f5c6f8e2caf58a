"""An in-memory ledger of consumer payments for settlement tests, with crash injection.

It behaves like the real thing where settlement's safety depends on it: a
payment is identified by its message id and applied at most once however often
it is submitted, a payment the payer cannot cover fails when "confirmed", and
funding moves coins from the owner's wallet. ``crash`` lets a test make any
call fail before it takes effect, to simulate a worker dying mid-step.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from plaza.market.settlement import Contract, PaymentFailed, PaymentStatus, PreparedPayment

__all__ = ["FakePayments", "InjectedCrash"]


class InjectedCrash(Exception):
    """A test's stand-in for a process dying in the middle of a step."""


@dataclass
class _Transfer:
    contract: Contract
    amount: int


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
        self._prepared: dict[bytes, Contract] = {}
        self._submitted: dict[bytes, _Transfer] = {}
        self._applied: set[bytes] = set()
        self._failed: set[bytes] = set()
        self.paid: Counter[str] = Counter()  # contract id -> amount applied on the ledger

    def available(self, participant: str) -> int:
        self.crash("available")
        in_flight = sum(
            t.amount
            for message, t in self._submitted.items()
            if t.contract.consumer == participant and message not in self._applied | self._failed
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
        seed = f"{contract.id}/{next(self._counter)}".encode()
        message = hashlib.blake2b(seed, digest_size=32).digest()
        self._prepared[message] = contract
        return PreparedPayment(message, b"signed transfer " + message, contract.total)

    def submit(self, payment: PreparedPayment) -> None:
        self.crash("submit")
        contract = self._prepared[payment.message_id]
        self._submitted.setdefault(payment.message_id, _Transfer(contract, payment.amount))

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
            payer, payee = transfer.contract.consumer, transfer.contract.provider
            if self.balances.get(payer, 0) < transfer.amount:
                self._failed.add(message)
                continue
            self.balances[payer] -= transfer.amount
            self.balances[payee] = self.balances.get(payee, 0) + transfer.amount
            self._applied.add(message)
            self.paid[transfer.contract.id] += transfer.amount
