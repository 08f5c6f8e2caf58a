"""The marketplace as the arbiter of held payments: check a hold pays as agreed, settle it.

A payment for delivery, not before (telco orders): the payer holds the price on
the ledger for the payee, naming the marketplace's address as the hold's arbiter,
and reports the hold's id. :meth:`ArbiterHolds.check_open` reads the hold back
from the ledger and accepts it only if it is open and pays exactly as agreed
(payer, payee, amount, this marketplace as arbiter, a deadline late enough);
then only the marketplace can split it, and the payer gets everything back if
the marketplace never acts before the deadline. :meth:`ArbiterHolds.compose_settlement`
(kept, then :meth:`ArbiterHolds.submit`, so a retry sends the very same message)
closes it, the whole amount, nothing or a share to the payee, with the reason in
the settlement's data, so the ledger itself records why each hold closed as it
did. The ledger rules are ``docs/protocol.md``'s "Held payments".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from plaza.crypto import Address, InvalidAddress, SigningKey
from plaza.ledger.holds import HoldRecord, HoldStatus
from plaza.ledger.model import ID_SIZE, Message, PayPayload, SettlePayload
from plaza.ledger.ports import Composer, Submitter
from plaza.market.errors import MarketError

__all__ = ["ArbiterHolds", "HoldLedger", "HoldNotOpen", "HoldRefused", "HoldTerms"]


class HoldLedger(Composer, Submitter, Protocol):
    """What the arbiter needs of the ledger: holds read back, settlements composed and sent."""

    def hold(self, hold_id: bytes) -> HoldRecord | None: ...


class HoldRefused(MarketError):
    """The hold does not pay as agreed (or names no hold): reporting it again fails again."""

    code = "hold_refused"


class HoldNotOpen(MarketError):
    """The hold is not (or no longer) open on the ledger: not confirmed yet, or closed."""

    code = "hold_not_open"


@dataclass(frozen=True, slots=True)
class HoldTerms:
    """What a hold must be: from ``payer`` to ``payee`` (participant ids, ``plz1…``
    addresses), exactly ``amount``, open until at least ``expires_at_least_ms``."""

    payer: str
    payee: str
    amount: int
    expires_at_least_ms: int


def _raw(participant: str) -> bytes:
    try:
        return Address.parse(participant).raw
    except InvalidAddress as error:
        raise HoldRefused(f"{participant!r} is no ledger address: {error}") from None


class ArbiterHolds:
    """Holds this marketplace arbitrates, signing settlements with its own key."""

    def __init__(self, ledger: HoldLedger, arbiter: SigningKey) -> None:
        self._ledger = ledger
        self._arbiter = arbiter

    @property
    def address(self) -> Address:
        """What a hold names as its arbiter for this marketplace to settle it."""
        return self._arbiter.public_key.address

    def check_open(self, hold_id: bytes, terms: HoldTerms) -> HoldRecord:
        """The hold, if it is open and pays as ``terms`` say; else :class:`HoldRefused`, or
        :class:`HoldNotOpen` for one not confirmed yet or closed already."""
        if len(hold_id) != ID_SIZE:
            raise HoldRefused(f"a hold id is {ID_SIZE} bytes")
        record = self._ledger.hold(hold_id)
        if record is None:
            raise HoldNotOpen(f"no hold {hold_id.hex()} is confirmed on the ledger (yet)")
        hold = record.hold
        wrong = [
            name
            for name, have, want in (
                ("payer", hold.payer, _raw(terms.payer)),
                ("payee", hold.payee, _raw(terms.payee)),
                ("amount", hold.amount, terms.amount),
                ("arbiter", hold.arbiter, self.address.raw),
            )
            if have != want
        ]
        if hold.expires_at_ms < terms.expires_at_least_ms:
            wrong.append(f"deadline (at least {terms.expires_at_least_ms} ms)")
        if wrong:
            raise HoldRefused(f"the hold does not pay as agreed: wrong {', '.join(wrong)}")
        if record.status is not HoldStatus.OPEN:
            raise HoldNotOpen(f"the hold is {record.status.value}, not open")
        return record

    def status(self, hold_id: bytes) -> HoldRecord | None:
        """The hold as the ledger has it now (None: not confirmed)."""
        return self._ledger.hold(hold_id)

    def compose_settlement(
        self,
        hold_id: bytes,
        to_payee: int,
        *,
        reason: bytes,
        tag: bytes = b"",
        after: bytes | None = None,
    ) -> Message:
        """The signed settlement closing the hold with ``to_payee`` to the payee and the
        rest to the payer, NOT sent: keep its bytes first, then :meth:`submit` them (again
        after a failure: the same bytes are the same message). ``after``: a message it
        approves, so the ledger applies that one first (an earlier part payment)."""
        payload = SettlePayload(hold_id, to_payee, tag, reason)
        return self._ledger.compose(self._arbiter, payload, first_parents=_after(after))

    def compose_part_payment(
        self,
        hold_id: bytes,
        amount: int,
        *,
        reason: bytes,
        tag: bytes = b"",
        after: bytes | None = None,
    ) -> Message:
        """The signed part payment of ``amount`` to the payee, the rest staying held, NOT
        sent: kept first and sent like a settlement (the ledger pays the same signed
        part payment once, however often it is attached); ``after`` as for a settlement."""
        payload = PayPayload(hold_id, amount, tag, reason)
        return self._ledger.compose(self._arbiter, payload, first_parents=_after(after))

    def submit(self, raw: bytes) -> bytes:
        """Send a composed settlement or part payment; its id. Sending it again is harmless."""
        return self._ledger.submit(raw)

    def settle(self, hold_id: bytes, to_payee: int, *, reason: bytes, tag: bytes = b"") -> bytes:
        """Compose and send at once (for a caller with nothing to keep); the id. A second,
        different settlement of the same hold conflicts as ``hold_not_open``, harmlessly."""
        message = self.compose_settlement(hold_id, to_payee, reason=reason, tag=tag)
        return self.submit(message.raw)


def _after(message_id: bytes | None) -> tuple[bytes, ...]:
    return () if message_id is None else (message_id,)
