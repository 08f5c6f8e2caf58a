"""The energy seed's transaction, its statuses and the contract that joins two of them.

Field names are the seed's (camelCase on the wire). Plaza keeps quantities and
money as integers, so the units are fixed here once:

* ``energyAmount`` is **watt-hours** (the seed's kWh figures times 1000), so a
  solar panel's quarter-hour of 310 Wh needs no fraction;
* ``energyPrice`` is **base units per kWh**, and a contract's ``value`` is
  ``ceil(energyAmount * energyPrice / 1000)`` base units: rounding never leaves
  the provider short.

A transaction is one offer (provider) or one request (consumer). Once matched,
both sides' copies carry the other's ids and the ``contractId``; the contract
itself (:class:`EnergyContract`) is the marketplace's signed joining of the two.
Beyond the seed's fields a transaction records ``reminders`` (the seed's note of
issued payment reminders), ``requesterWalletAddress`` (who pays, so the provider
can check the ledger) and ``paymentMessageId`` (the ledger transfer that paid).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Self

from plaza.energy.errors import InvalidMessage
from plaza.energy.fields import ID, choice, integer, text
from plaza.market.settlement import Contract as SettlementContract
from plaza.market.settlement import Phase

__all__ = [
    "MAX_ENERGY_WH",
    "MAX_PRICE",
    "STATUS_OF_PHASE",
    "AssetType",
    "EnergyContract",
    "Transaction",
    "TransactionStatus",
    "TransactionType",
    "contract_value",
]

#: Bounds that keep every product inside a signed 64-bit column.
MAX_ENERGY_WH = 10**12
MAX_PRICE = 10**6


class AssetType(enum.StrEnum):
    PROVIDER = "provider"  # produces energy, sells it (solar panel, charging station)
    CONSUMER = "consumer"  # consumes energy, buys it (EV, heat pump)

    @property
    def side(self) -> TransactionType:
        return TransactionType.OFFER if self is AssetType.PROVIDER else TransactionType.REQUEST


class TransactionType(enum.StrEnum):
    OFFER = "offer"
    REQUEST = "request"


class TransactionStatus(enum.StrEnum):
    """The seed's statuses, spelled as its dashboards show them."""

    INITIAL_OFFER = "Initial offer"
    INITIAL_REQUEST = "Initial request"
    CONTRACT_CREATED = "Contract created"
    PROVISION_FINISHED = "Energy provision finished"
    PAYMENT_REQUESTED = "Payment requested"
    PAYMENT_PROCESSED = "Payment processed"
    PAYMENT_SENT = "Payment sent"
    PAYMENT_CONFIRMED = "Payment confirmed"
    REMINDER_ISSUED = "Payment reminder issued"
    CLAIM_ISSUED = "Claim issued"
    CANCELLED = "Cancelled"

    @property
    def is_initial(self) -> bool:
        """Not yet provided: the seed cancels these once they wait too long."""
        return self in _INITIAL

    @property
    def is_unpaid(self) -> bool:
        """Energy flowed but no payment is confirmed: reminded, paid again, or claimed."""
        return self in _UNPAID

    @property
    def is_final(self) -> bool:
        return self in (TransactionStatus.PAYMENT_CONFIRMED, TransactionStatus.CANCELLED)


_INITIAL = frozenset(
    {
        TransactionStatus.INITIAL_OFFER,
        TransactionStatus.INITIAL_REQUEST,
        TransactionStatus.CONTRACT_CREATED,
    }
)
_UNPAID = frozenset(
    {
        TransactionStatus.PROVISION_FINISHED,
        TransactionStatus.PAYMENT_REQUESTED,
        TransactionStatus.PAYMENT_PROCESSED,
        TransactionStatus.PAYMENT_SENT,
        TransactionStatus.REMINDER_ISSUED,
        TransactionStatus.CLAIM_ISSUED,
    }
)


#: A contract's status is its settlement's phase in the market (plaza.market.settlement), in
#: the seed's words. The seed's other statuses are not phases: the initial ones are an
#: offer's or request's before any contract, "Payment sent" is the provider's copy of
#: "Payment processed", "Payment reminder issued" is a reminder the settlement counts.
STATUS_OF_PHASE: Mapping[Phase, TransactionStatus] = {
    Phase.CONTRACT_CREATED: TransactionStatus.CONTRACT_CREATED,
    Phase.PROVISION_FINISHED: TransactionStatus.PROVISION_FINISHED,
    Phase.PAYMENT_REQUESTED: TransactionStatus.PAYMENT_REQUESTED,
    Phase.PAYMENT_PROCESSED: TransactionStatus.PAYMENT_PROCESSED,
    Phase.PAYMENT_CONFIRMED: TransactionStatus.PAYMENT_CONFIRMED,
    Phase.FULFILLED: TransactionStatus.PAYMENT_CONFIRMED,
    Phase.CLAIM_ISSUED: TransactionStatus.CLAIM_ISSUED,
    Phase.CANCELLED: TransactionStatus.CANCELLED,
}


def contract_value(energy_wh: int, price_per_kwh: int) -> int:
    """What a contract costs in base units, rounded up."""
    return -(-energy_wh * price_per_kwh // 1000)


@dataclass(frozen=True, slots=True)
class Transaction:
    """One offer or request, as the seed's transaction data model writes it."""

    type: TransactionType
    status: TransactionStatus
    energyAmount: int  # noqa: N815 - the seed's wire names
    energyPrice: int  # noqa: N815
    timestamp: str
    providerId: str = ""  # noqa: N815
    providerTransactionId: str = ""  # noqa: N815
    requesterId: str = ""  # noqa: N815
    requesterTransactionId: str = ""  # noqa: N815
    walletAddress: str = ""  # noqa: N815
    requesterWalletAddress: str = ""  # noqa: N815
    location: str = ""
    contractId: str = ""  # noqa: N815
    additionalDetails: str = ""  # noqa: N815
    reminders: int = 0
    paymentMessageId: str = ""  # noqa: N815

    @property
    def id(self) -> str:
        """The id of this side's own record: the provider's or the requester's."""
        return (
            self.providerTransactionId
            if self.type is TransactionType.OFFER
            else self.requesterTransactionId
        )

    @property
    def owner(self) -> str:
        """The asset that issued this side."""
        return self.providerId if self.type is TransactionType.OFFER else self.requesterId

    @property
    def value(self) -> int:
        return contract_value(self.energyAmount, self.energyPrice)

    def to_json(self) -> dict[str, Any]:
        return {name: str(v) if isinstance(v, enum.Enum) else v for name, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: object) -> Self:
        """Parse and check a transaction; :class:`InvalidMessage` says what is wrong."""
        if not isinstance(data, Mapping):
            raise InvalidMessage("a transaction must be a JSON object")
        side = choice(data, "type", TransactionType)
        transaction = cls(
            type=side,
            status=choice(data, "status", TransactionStatus),
            energyAmount=integer(data, "energyAmount", low=1, high=MAX_ENERGY_WH, default=0),
            energyPrice=integer(data, "energyPrice", low=0, high=MAX_PRICE, default=0),
            timestamp=_timestamp(data),
            providerId=text(data, "providerId", pattern=ID),
            providerTransactionId=text(data, "providerTransactionId", pattern=ID),
            requesterId=text(data, "requesterId", pattern=ID),
            requesterTransactionId=text(data, "requesterTransactionId", pattern=ID),
            walletAddress=text(data, "walletAddress"),
            requesterWalletAddress=text(data, "requesterWalletAddress"),
            location=text(data, "location"),
            contractId=text(data, "contractId", pattern=ID),
            additionalDetails=text(data, "additionalDetails"),
            reminders=integer(data, "reminders", low=0, high=1000, default=0),
            paymentMessageId=text(data, "paymentMessageId"),
        )
        if not transaction.id or not transaction.owner:
            who = (
                "providerId and providerTransactionId"
                if side is TransactionType.OFFER
                else ("requesterId and requesterTransactionId")
            )
            what = "an offer" if side is TransactionType.OFFER else "a request"
            raise InvalidMessage(f"{what} needs {who}")
        return transaction

    def with_status(self, status: TransactionStatus, *, timestamp_ms: int, **changes: Any) -> Self:
        return replace(self, status=status, timestamp=str(timestamp_ms), **changes)

    def same_terms(self, other: Transaction) -> list[str]:
        """The fields naming the deal (ids, amount, price, wallets) where two copies differ."""
        return [name for name in _TERMS if getattr(self, name) != getattr(other, name)]


_TERMS = (
    "type",
    "providerId",
    "providerTransactionId",
    "requesterId",
    "requesterTransactionId",
    "energyAmount",
    "energyPrice",
    "walletAddress",
    "requesterWalletAddress",
    "contractId",
)


def _timestamp(data: Mapping[str, Any]) -> str:
    value = data.get("timestamp")
    if not isinstance(value, str) or not value.isdigit() or len(value) > 16:
        raise InvalidMessage("timestamp must be milliseconds since the epoch, as a string")
    return value


@dataclass(frozen=True, slots=True)
class EnergyContract:
    """The marketplace's joining of an offer and a request (one-to-one: the whole request).

    ``transaction`` is the contract transaction both parties receive: the offer's
    fields with the requester's filled in, the requested amount, the offer's price.
    """

    contractId: str  # noqa: N815
    offer: Transaction
    request: Transaction
    transaction: Transaction
    createdAt: int  # noqa: N815

    @classmethod
    def join(
        cls, contract_id: str, offer: Transaction, request: Transaction, *, now_ms: int
    ) -> Self:
        if offer.type is not TransactionType.OFFER or request.type is not TransactionType.REQUEST:
            raise InvalidMessage("a contract joins one offer and one request")
        if request.energyAmount > offer.energyAmount:
            raise InvalidMessage("the request asks for more energy than the offer holds")
        if offer.providerId == request.requesterId:
            raise InvalidMessage("an asset cannot contract with itself")
        joined = replace(
            offer,
            status=TransactionStatus.CONTRACT_CREATED,
            timestamp=str(now_ms),
            requesterId=request.requesterId,
            requesterTransactionId=request.requesterTransactionId,
            requesterWalletAddress=request.requesterWalletAddress or request.walletAddress,
            energyAmount=request.energyAmount,
            contractId=contract_id,
        )
        return cls(contract_id, offer, request, joined, now_ms)

    @property
    def value(self) -> int:
        return self.transaction.value

    def to_settlement(self) -> SettlementContract:
        """The contract as the market settles it: between the two wallets (participants are
        addresses there), worth the seed's value (``ceil(Wh * price / 1000)``), not
        quantity times unit price."""
        deal = self.transaction
        return SettlementContract(
            self.contractId,
            deal.walletAddress,
            deal.requesterWalletAddress,
            deal.energyAmount,
            deal.energyPrice,
            self.createdAt,
            kind="energy",
            value=deal.value,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "contractId": self.contractId,
            "offer": self.offer.to_json(),
            "request": self.request.to_json(),
            "transaction": self.transaction.to_json(),
            "createdAt": self.createdAt,
        }

    @classmethod
    def from_json(cls, data: object) -> Self:
        if not isinstance(data, Mapping):
            raise InvalidMessage("a contract must be a JSON object")
        contract_id = text(data, "contractId", pattern=ID)
        created = integer(data, "createdAt", low=0, high=2**63 - 1, default=0)
        contract = cls.join(
            contract_id,
            Transaction.from_json(data.get("offer")),
            Transaction.from_json(data.get("request")),
            now_ms=created,
        )
        claimed = Transaction.from_json(data.get("transaction"))
        if differing := contract.transaction.same_terms(claimed):
            raise InvalidMessage(f"the contract transaction differs in {', '.join(differing)}")
        return replace(contract, transaction=claimed)

    def party(self, asset_id: str) -> TransactionType | None:
        """Which side ``asset_id`` is on, or None if it is not a party."""
        if asset_id == self.offer.providerId:
            return TransactionType.OFFER
        if asset_id == self.request.requesterId:
            return TransactionType.REQUEST
        return None
