"""What a wallet may spend now, and which of its addresses pays.

The ledger is an account model without nonces: a wallet's transfers never
conflict with each other while the payer's balance covers all of them, in
whatever order a milestone confirms them. So the one thing a wallet must get
right to send many transfers per second is not to promise more than it has.

:class:`InFlightTransfers` remembers every outgoing transfer the wallet attached until
a confirmed balance reflects it. What an address can still pay is its
confirmed balance less those amounts. A transfer leaves the ledger only once
it is confirmed (applied or conflicting) at a milestone no later than the one
the balance was read at; before that it would be subtracted twice if dropped,
and a newer milestone might not be in the balance yet. Forgetting too late
merely under-states what is available; forgetting too early could overdraw,
so :meth:`InFlightTransfers.settle` only forgets what the balance provably includes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from plaza.crypto import Address, InvalidAddress
from plaza.ledger.model import (
    MAX_AMOUNT,
    MAX_OUTPUTS,
    TRANSFER_TTL_MS,
    ConfirmationState,
    MessageMetadata,
)
from plaza.ledger.ports import Movement
from plaza.wallet.errors import InsufficientBalance, InvalidAmount, InvalidRecipient
from plaza.wallet.model import WalletAddress

__all__ = [
    "InFlightTransfers",
    "Outgoing",
    "Recipients",
    "check_outputs",
    "parse_recipient",
    "plan_payment",
]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A transfer this wallet attached: ``amount`` leaves ``payer`` once it confirms."""

    message_id: bytes
    payer: bytes
    amount: int
    issued_at_ms: int


_UNCONFIRMED = (ConfirmationState.PENDING, ConfirmationState.HELD)


class InFlightTransfers:
    """Outgoing transfers not yet reflected in a confirmed balance, per payer address."""

    def __init__(self, *, ttl_ms: int = TRANSFER_TTL_MS) -> None:
        self._by_payer: dict[bytes, dict[bytes, Outgoing]] = {}
        self._ttl_ms = ttl_ms

    def add(self, outgoing: Outgoing) -> None:
        self._by_payer.setdefault(outgoing.payer, {})[outgoing.message_id] = outgoing

    def adopt(self, payer: bytes, movements: Iterable[Movement]) -> None:
        """Count ``payer``'s transfers still unconfirmed on the ledger (an earlier
        process's sends), so that they are not spent again."""
        for movement in movements:
            if movement.delta < 0 and movement.state in _UNCONFIRMED:
                amount = -movement.delta
                self.add(Outgoing(movement.message_id, payer, amount, movement.issued_at_ms))

    def total(self, payer: bytes) -> int:
        return sum(entry.amount for entry in self._by_payer.get(payer, {}).values())

    def count(self, payer: bytes | None = None) -> int:
        if payer is None:
            return sum(len(entries) for entries in self._by_payer.values())
        return len(self._by_payer.get(payer, {}))

    def settle(
        self,
        payer: bytes,
        milestone_index: int,
        lookup: Callable[[bytes], MessageMetadata | None],
        now_ms: int,
    ) -> None:
        """Forget ``payer``'s transfers that a balance read at ``milestone_index`` includes.

        Also forgets transfers the ledger no longer knows, and those older than
        the transfer time-to-live, which can never apply any more.
        """
        entries = self._by_payer.get(payer, {})
        for message_id, entry in list(entries.items()):
            if now_ms - entry.issued_at_ms > self._ttl_ms:
                del entries[message_id]
                continue
            metadata = lookup(message_id)
            if metadata is None or (
                metadata.milestone_index is not None and metadata.milestone_index <= milestone_index
            ):
                del entries[message_id]


def parse_recipient(recipient: Address | str) -> Address:
    """An address object, or text parsed into one; :class:`InvalidRecipient` if it is not."""
    if isinstance(recipient, Address):
        return recipient
    try:
        return Address.parse(recipient.strip())
    except InvalidAddress as error:
        raise InvalidRecipient(error.reason) from None


#: Who gets how much: recipients as :class:`Address` values or ``plz1…`` text.
Recipients = Mapping[Address, int] | Mapping[str, int] | Mapping[Address | str, int]


def check_outputs(payments: Recipients) -> dict[bytes, int]:
    """Recipients parsed and merged, amounts checked: what one payment pays to whom."""
    if not 1 <= len(payments) <= MAX_OUTPUTS:
        raise InvalidAmount(len(payments), f"a payment has 1 to {MAX_OUTPUTS} recipients")
    outputs: dict[bytes, int] = {}
    for recipient, amount in payments.items():
        address = parse_recipient(recipient)
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise InvalidAmount(amount, "must be a positive whole number of base units")
        outputs[address.raw] = outputs.get(address.raw, 0) + amount
    total = sum(outputs.values())
    if total > MAX_AMOUNT:
        raise InvalidAmount(total, "exceeds the most one payment can carry")
    return outputs


def plan_payment(
    available: Sequence[tuple[WalletAddress, int]], outputs: Mapping[bytes, int], *, account: str
) -> list[tuple[WalletAddress, dict[bytes, int]]]:
    """Which addresses pay which outputs: one transfer per payer.

    The address with the most available pays alone when it can, so a payment
    is usually one transfer. Otherwise addresses pay in that order, each as
    much as it has, an output split between two payers where it must. Raises
    :class:`InsufficientBalance` when the account as a whole cannot cover it.
    """
    total = sum(outputs.values())
    ranked = sorted(available, key=lambda item: item[1], reverse=True)
    richest = ranked[0] if ranked and ranked[0][1] > 0 else None
    if richest is not None and richest[1] >= total:
        return [(richest[0], dict(outputs))]
    have = sum(amount for _, amount in ranked if amount > 0)
    if have < total:
        best = str(richest[0]) if richest is not None else None
        raise InsufficientBalance(best, total, have, account=account)
    plan: list[tuple[WalletAddress, dict[bytes, int]]] = []
    remaining = sorted(outputs.items())
    for payer, has in ranked:
        part: dict[bytes, int] = {}
        budget = has
        while remaining and budget > 0:
            address, amount = remaining[0]
            paid = min(amount, budget)
            part[address] = paid
            budget -= paid
            if paid == amount:
                remaining.pop(0)
            else:
                remaining[0] = (address, amount - paid)
        if part:
            plan.append((payer, part))
    return plan
