"""The settlement relay: the seed's letters after a contract, as steps of the market's settlement.

Where a contract stands is its :class:`~plaza.market.settlement.Settlement`, and what
may happen next is decided by :mod:`plaza.market.settlement.lifecycle`, whatever a
party sends. This module only translates: :data:`WIRE` says, for each path and the
sender's side, the status the sender's transaction must carry, the market step it
asks for, and what the other party is told (on which path, restamped to which
status). A step the settlement refuses changes nothing; a step it has taken
already (a second claim) is answered and changes nothing either, except a
delivery report, which is kept as the state the party put on its twin.

A reported payment makes the contract paid only once the ledger shows it pays the
contract (:class:`~plaza.energy.backend.ports.PaymentCheck`), checked before the
step's transaction opens.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from plaza.energy.backend.journal import Journal
from plaza.energy.backend.model import (
    AssetRecord,
    EnergyContractRecord,
    RecordEvent,
    TransactionRecord,
    id_field,
    other_party,
)
from plaza.energy.backend.ports import MarketplaceStore, PaymentCheck
from plaza.energy.errors import (
    EnergyForbidden,
    InvalidMessage,
    PeerFailed,
    UnknownRecord,
    WrongState,
)
from plaza.energy.model import STATUS_OF_PHASE, Transaction, TransactionStatus, TransactionType
from plaza.energy.peers import BIDMANAGER
from plaza.market.settlement import (
    InvalidTransition,
    PaymentFailed,
    PaymentRejected,
    PreparedPayment,
    Settlement,
    SettlementError,
    SettlementPolicy,
    TooEarly,
    lifecycle,
)

__all__ = ["WIRE", "Moment", "SettlementRelay", "Wire"]

_MESSAGE_ID = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Moment:
    """What a step is taken with: the marketplace's time and policy, and the checked
    payment a ``/payment_processing`` reports."""

    now_ms: int
    policy: SettlementPolicy
    payment: PreparedPayment | None = None


Step = Callable[[Settlement, Transaction, Moment], Settlement]


def _provider_provided(s: Settlement, received: Transaction, at: Moment) -> Settlement:
    delivered = lifecycle.deliver(s, at.now_ms, at.policy)
    return lifecycle.request_payment(delivered, at.now_ms, at.policy)


def _consumer_provided(s: Settlement, received: Transaction, at: Moment) -> Settlement:
    return lifecycle.deliver(s, at.now_ms, at.policy)


def _paid(s: Settlement, received: Transaction, at: Moment) -> Settlement:
    assert at.payment is not None  # checked on the ledger before the step
    return lifecycle.record_payment(s, at.payment, at.now_ms)


def _confirmed(s: Settlement, received: Transaction, at: Moment) -> Settlement:
    return lifecycle.fulfil(lifecycle.confirm_payment(s, at.now_ms), at.now_ms)


def _reminded(s: Settlement, received: Transaction, at: Moment) -> Settlement:
    return lifecycle.remind(s, received.reminders, at.now_ms, at.policy)


def _claimed(s: Settlement, received: Transaction, at: Moment) -> Settlement:
    return lifecycle.file_claim(s, at.now_ms, at.policy)


def _cancelled(s: Settlement, received: Transaction, at: Moment) -> Settlement:
    return lifecycle.cancel(s, at.now_ms)


@dataclass(frozen=True, slots=True)
class Wire:
    """One settlement letter of one side: what it carries, asks and passes on."""

    carries: TransactionStatus  # the status the sender's transaction must carry
    step: Step  # the market's step it asks for
    forward: str | None = None  # the path the other party is told on
    restamp: TransactionStatus | None = (
        None  # the status of the other party's copy (None: as received)
    )


#: (path, sender's side) to the letter's step. The provider's provision asks the consumer
#: to pay, a reminder asks again; the rest are passed on as received.
WIRE: dict[tuple[str, TransactionType], Wire] = {
    ("/provision", TransactionType.OFFER): Wire(
        TransactionStatus.PROVISION_FINISHED,
        _provider_provided,
        "/payment",
        TransactionStatus.PAYMENT_REQUESTED,
    ),
    ("/provision", TransactionType.REQUEST): Wire(
        TransactionStatus.PROVISION_FINISHED, _consumer_provided
    ),
    ("/payment_processing", TransactionType.REQUEST): Wire(
        TransactionStatus.PAYMENT_PROCESSED, _paid, "/payment_sent", TransactionStatus.PAYMENT_SENT
    ),
    ("/payment_confirmation", TransactionType.OFFER): Wire(
        TransactionStatus.PAYMENT_CONFIRMED, _confirmed, "/payment_confirmed"
    ),
    ("/reminder", TransactionType.OFFER): Wire(
        TransactionStatus.REMINDER_ISSUED,
        _reminded,
        "/payment",
        TransactionStatus.PAYMENT_REQUESTED,
    ),
    ("/claim", TransactionType.OFFER): Wire(TransactionStatus.CLAIM_ISSUED, _claimed, "/claim"),
    ("/cancel", TransactionType.OFFER): Wire(TransactionStatus.CANCELLED, _cancelled, "/cancel"),
    ("/cancel", TransactionType.REQUEST): Wire(TransactionStatus.CANCELLED, _cancelled, "/cancel"),
}


def _wire_for(path: str, record: EnergyContractRecord, party: str, received: Transaction) -> Wire:
    """The wire of ``party``'s letter on a contract; refused for strangers and wrong shapes."""
    side = record.contract.party(party)
    if side is None:
        raise EnergyForbidden(f"{party!r} is not a party to contract {record.contract_id}")
    wire = WIRE.get((path, side))
    if wire is None:
        role = "provider" if side is TransactionType.OFFER else "consumer"
        raise EnergyForbidden(f"the {role} of a contract cannot send {path}")
    if received.status is not wire.carries:
        raise InvalidMessage(f"{path} carries status {wire.carries.value!r}")
    if path == "/payment_processing" and not _MESSAGE_ID.fullmatch(received.paymentMessageId):
        raise InvalidMessage("a processed payment names its paymentMessageId (64 hex)")
    if path == "/reminder" and received.reminders < 1:
        raise InvalidMessage("a reminder counts at least one reminder")
    return wire


@contextmanager
def _as_refusal(settlement: Settlement, path: str) -> Iterator[None]:
    """The settlement's refusals as the seed's replies."""
    status = STATUS_OF_PHASE[settlement.phase].value
    where = f"contract {settlement.id} is {status!r}"
    try:
        yield
    except TooEarly as error:
        raise WrongState(f"{where}: {path} waits until {error.due_at_ms}") from None
    except InvalidTransition as error:
        raise WrongState(f"{where}: cannot {error.step}") from None
    except PaymentRejected as error:
        raise InvalidMessage(f"the payment does not pay the contract: {error.reason}") from None
    except PaymentFailed as error:
        raise PeerFailed("ledger", "", error.reason, refused=False) from None
    except SettlementError as error:
        raise WrongState(f"{where}: {error}") from None


@dataclass(frozen=True, slots=True)
class _Letter:
    """The letter a step answers: its path, its sender, the transaction it carries."""

    path: str
    party: str
    received: Transaction


class SettlementRelay:
    """Settlement letters: checked, taken as the market's step, stored, relayed."""

    def __init__(
        self,
        *,
        store: MarketplaceStore,
        journal: Journal,
        payments: PaymentCheck,
        policy: SettlementPolicy,
    ) -> None:
        self._store = store
        self._journal = journal
        self._payments = payments
        self._policy = policy

    def settle(self, path: str, asset: AssetRecord, received: Transaction) -> str:
        """One asset's letter about its contract (or its own offer or request, for /cancel)."""
        if not received.contractId:
            if path != "/cancel":
                raise InvalidMessage(f"{path} needs the contract transaction (contractId)")
            return self._cancel_own(asset, received)
        record = self._store.contract(received.contractId)
        if record is None:
            raise UnknownRecord(f"no contract {received.contractId!r}")
        if differing := received.same_terms(record.contract.transaction):
            raise InvalidMessage(
                f"the transaction differs from the contract in {', '.join(differing)}"
            )
        return self._step(path, asset.asset_id, record, received, received)

    def settlement(self, record: EnergyContractRecord) -> Settlement:
        """The contract's settlement; a contract stored before settlements were kept here
        gets one now, as the match made it."""
        found = self._store.settlements.get(record.contract_id)
        if found is not None:
            return found
        contract = record.contract.to_settlement()
        fresh = lifecycle.open_settlement(contract, self._journal.now(), self._policy)
        return self._store.settlements.create(fresh)

    def _step(
        self,
        path: str,
        party: str,
        record: EnergyContractRecord,
        received: Transaction,
        relayed: Transaction,
    ) -> str:
        """One party's step: the market's, stored with its events, then the other is told."""
        contract_id = record.contract_id
        wire = _wire_for(path, record, party, received)
        if self._journal.resend(contract_id, party, path, received.to_json()):
            return contract_id
        settlement = self.settlement(record)
        now = self._journal.now()
        with _as_refusal(settlement, path):
            at = Moment(now, self._policy, self._reported_payment(path, settlement, received))
            after = wire.step(settlement, received, at)
        if after is settlement and path != "/provision":
            return contract_id  # taken before: nothing to store, nobody to tell
        if wire.restamp is not None:
            relayed = relayed.with_status(wire.restamp, timestamp_ms=now)
        letter = _Letter(path, party, received)
        sent = self._commit(
            letter, record, relayed=relayed, before=settlement, after=after, forward=wire.forward
        )
        if sent is not None:
            self._journal.send(sent)
        return contract_id

    def _commit(
        self,
        letter: _Letter,
        record: EnergyContractRecord,
        *,
        relayed: Transaction,
        before: Settlement,
        after: Settlement,
        forward: str | None,
    ) -> RecordEvent | None:
        """The step's settlement, contract and events in one transaction; the letter to send."""
        changed = after is not before
        updated = replace(
            record,
            latest=relayed if changed else record.latest,
            claimed=record.claimed or letter.path == "/claim",
        )
        contract_id, received = record.contract_id, letter.received
        with self._store.atomic():
            if changed:
                after = self._store.settlements.save(after)
            status = STATUS_OF_PHASE[after.phase]
            self._store.save_contract(updated, status=status, now_ms=self._journal.now())
            cause = self._journal.event(
                contract_id, "in", letter.party, letter.path, received.to_json(), on_twin=True
            )
            if forward is None or not changed:
                return None
            other = other_party(record.contract, letter.party)
            return self._journal.event(
                contract_id,
                "out",
                other,
                forward,
                relayed.to_json(),
                cause=cause.id,
                on_twin=relayed != received,
            )

    def _reported_payment(
        self, path: str, settlement: Settlement, received: Transaction
    ) -> PreparedPayment | None:
        """For ``/payment_processing``: the payment it reports, checked on the ledger (not
        asked again for the payment already recorded, nor where none can be)."""
        if path != "/payment_processing":
            return None
        message_id = bytes.fromhex(received.paymentMessageId)
        lifecycle.check_can_record(settlement, message_id)
        if settlement.payment is not None:
            return settlement.payment
        return self._payments.verify(settlement.contract, message_id)

    def _cancel_own(self, asset: AssetRecord, received: Transaction) -> str:
        """A cancel of an offer or request as first sent: off the book, or out of its contract."""
        record = self._store.transaction(received.type, received.id)
        if record is None:
            raise UnknownRecord(f"no {received.type} {received.id!r}")
        if record.first.owner != asset.asset_id:
            raise EnergyForbidden(
                f"{asset.asset_id!r} cannot cancel another asset's {received.type}"
            )
        if differing := received.same_terms(record.first):
            raise InvalidMessage(
                f"the transaction differs from the one received in {', '.join(differing)}"
            )
        if record.contract_id:
            contract = self._store.contract(record.contract_id)
            assert contract is not None
            now = self._journal.now()
            relayed = contract.latest.with_status(TransactionStatus.CANCELLED, timestamp_ms=now)
            return self._step("/cancel", asset.asset_id, contract, received, relayed)
        if received.status is not TransactionStatus.CANCELLED:
            raise InvalidMessage("/cancel carries status 'Cancelled'")
        if self._journal.resend(record.record_id, asset.asset_id, "/cancel", received.to_json()):
            return record.record_id
        if record.latest.status is TransactionStatus.CANCELLED:
            raise WrongState(f"{record.record_id} is cancelled already")
        self.withdraw(
            record, received, party=asset.asset_id, path="/cancel", told=received.to_json()
        )
        return record.record_id

    def withdraw(
        self,
        record: TransactionRecord,
        cancelled: Transaction,
        *,
        party: str,
        path: str,
        told: Mapping[str, Any],
    ) -> None:
        """Cancel an open offer or request and take it off the bid manager's book: its new
        state and the letter that asked (``told`` by ``party`` on ``path``) stored together,
        then ``/remove`` sent to the bid manager."""
        side = record.first.type
        removal = {"type": str(side), id_field(side): record.first.id}
        with self._store.atomic():
            self._store.save_transaction(
                replace(record, latest=cancelled), now_ms=self._journal.now()
            )
            cause = self._journal.event(record.record_id, "in", party, path, told)
            sent = self._journal.event(
                record.record_id, "out", BIDMANAGER, "/remove", removal, cause=cause.id
            )
        self._journal.send(sent)
