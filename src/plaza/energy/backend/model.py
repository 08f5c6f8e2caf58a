"""What the marketplace keeps: assets, offers and requests, contracts and their events.

Beyond the records, the rules that need no database: what a registration must
hold, what a new offer or request must look like, the id of the contract a pair
makes, the seed's bid fields the bid manager is told, and what an audit found.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from plaza.crypto import Address, InvalidAddress
from plaza.energy.envelope import ModuleKey
from plaza.energy.errors import EnergyForbidden, InvalidMessage
from plaza.energy.fields import ID, choice, text
from plaza.energy.model import (
    AssetType,
    EnergyContract,
    Transaction,
    TransactionStatus,
    TransactionType,
)
from plaza.energy.peers import BIDMANAGER, MARKETPLACE
from plaza.market.twins.records import TwinAudit, TwinEntry

__all__ = [
    "COUNTED_LETTERS",
    "AssetRecord",
    "ContractAudit",
    "ContractSummary",
    "EnergyContractRecord",
    "MarketplaceSettings",
    "RecordEvent",
    "TransactionRecord",
    "check_new_transaction",
    "contract_id_for",
    "find_in_order",
    "id_field",
    "other_party",
    "parse_asset",
    "seed_bid",
]

#: The letters a marketplace store's ``statistics`` counts, by the path they came on.
COUNTED_LETTERS = {
    "provisions": "/provision",
    "payments_processed": "/payment_processing",
    "payments_confirmed": "/payment_confirmation",
    "reminders": "/reminder",
    "claims": "/claim",
    "cancellations": "/cancel",
}
_URL = re.compile(r"https?://\S{1,240}")


@dataclass(frozen=True, slots=True)
class MarketplaceSettings:
    """``exclude_after_claims``: a consumer with this many claimed contracts may not request
    energy any more (the seed's optional claim resolution); 0 never excludes.
    ``payment_wait_ms``: the consumer's time to pay, on the marketplace's clock, that must pass
    after the payment request before reminder 1, after each reminder before the next, and
    after the third before the claim; at most the providers' ``maxWaitMs`` (the least an
    asset takes is 1 s).
    ``auditors``: who may read ``GET /audit/{id}`` besides the operator (the marketplace's
    own key), by the sender name their read letters carry (:mod:`plaza.energy.reads`)."""

    exclude_after_claims: int = 0
    payment_wait_ms: int = 1000
    auditors: Mapping[str, ModuleKey] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AssetRecord:
    asset_id: str
    name: str
    description: str
    type: AssetType
    location: str
    url: str
    key: ModuleKey
    wallet: str
    owner: str


@dataclass(frozen=True, slots=True)
class TransactionRecord:
    """An offer or request as first received (``first``), its latest state and its twin."""

    first: Transaction
    latest: Transaction
    twin: str = field(repr=False)  # the asset's reader key: it reads the whole twin
    contract_id: str = ""

    @property
    def record_id(self) -> str:
        return f"{self.first.type}:{self.first.id}"


@dataclass(frozen=True, slots=True)
class EnergyContractRecord:
    """A contract as both parties got it. Where it stands is its settlement's (the market's
    :class:`~plaza.market.settlement.Settlement`); ``latest`` is the last state relayed,
    ``claimed`` whether it was ever claimed (a claim paid late still counts against the
    consumer)."""

    contract: EnergyContract
    document: dict[str, Any]  # the contract signed by the marketplace, as both parties got it
    latest: Transaction  # the contract transaction as last relayed
    claimed: bool = False

    @property
    def contract_id(self) -> str:
        return self.contract.contractId


@dataclass(frozen=True, slots=True)
class RecordEvent:
    """One state a record went through here: received (``in``), sent (``out``) or made
    (``own``); ``on_twin`` says whether it belongs on the contract's twin."""

    record_id: str
    direction: str
    party: str
    path: str
    state: dict[str, Any]
    on_twin: bool
    cause: int | None = None
    id: int = 0
    twin_position: int | None = None


@dataclass(frozen=True, slots=True)
class ContractSummary:
    """A contract as a list of them shows it (an auditor's: which to open)."""

    contract_id: str
    provider: str
    consumer: str
    created_ms: int


def other_party(contract: EnergyContract, party: str) -> str:
    return (
        contract.request.requesterId
        if party == contract.offer.providerId
        else contract.offer.providerId
    )


def contract_id_for(offer_id: str, request_id: str) -> str:
    """The one contract an offer and a request can make: a repeated /match finds it again."""
    digest = hashlib.sha256(f"plaza-energy-contract\x00{offer_id}\x00{request_id}".encode())
    return "c-" + digest.hexdigest()[:40]


def seed_bid(transaction: Transaction) -> dict[str, Any]:
    """The seed's bid fields of an offer or request: what the bid manager is told."""
    if transaction.type is TransactionType.OFFER:
        ids = {
            "providerId": transaction.providerId,
            "providerTransactionId": transaction.providerTransactionId,
            "walletAddress": transaction.walletAddress,
        }
    else:
        ids = {
            "requesterId": transaction.requesterId,
            "requesterTransactionId": transaction.requesterTransactionId,
        }
    return {
        **ids,
        "energyAmount": transaction.energyAmount,
        "energyPrice": transaction.energyPrice,
        "type": str(transaction.type),
        "timestamp": transaction.timestamp,
        "additionalDetails": transaction.additionalDetails,
    }


def id_field(side: TransactionType) -> str:
    """The field naming a side's own transaction."""
    return "providerTransactionId" if side is TransactionType.OFFER else "requesterTransactionId"


def parse_asset(data: object) -> AssetRecord:
    """The ``asset`` of a registration, checked field by field."""
    if not isinstance(data, Mapping):
        raise InvalidMessage("asset must be an object")
    wallet = text(data, "walletAddress", required=True)
    try:
        Address.parse(wallet)
    except InvalidAddress as error:
        raise InvalidMessage(f"walletAddress is not an address: {error}") from None
    url = text(data, "url", required=True)
    if not _URL.fullmatch(url):
        raise InvalidMessage("url must be an http(s) URL")
    asset_id = text(data, "assetId", required=True, pattern=ID)
    if asset_id in (MARKETPLACE, BIDMANAGER):
        raise EnergyForbidden(f"{asset_id!r} is reserved")
    return AssetRecord(
        asset_id=asset_id,
        name=text(data, "assetName"),
        description=text(data, "assetDescription"),
        type=choice(data, "type", AssetType),
        location=text(data, "location"),
        url=url,
        key=ModuleKey.from_text(data.get("publicKey")),
        wallet=wallet,
        owner=text(data, "assetOwner", required=True, pattern=ID),
    )


def check_new_transaction(transaction: Transaction, asset: AssetRecord) -> None:
    """A new offer or request: the sender's own, of its type, initial, paid to its wallet."""
    side = transaction.type
    if transaction.owner != asset.asset_id:
        raise EnergyForbidden(f"{asset.asset_id!r} cannot send another asset's {side}")
    if asset.type.side is not side:
        raise EnergyForbidden(f"{asset.asset_id!r} is registered as a {asset.type}: no {side}s")
    initial = (
        TransactionStatus.INITIAL_OFFER
        if side is TransactionType.OFFER
        else TransactionStatus.INITIAL_REQUEST
    )
    if transaction.status is not initial or transaction.contractId:
        raise InvalidMessage(f"a new {side} has status {initial.value!r} and no contractId")
    if side is TransactionType.OFFER:
        counterpart = (transaction.requesterId, transaction.requesterTransactionId)
        wallets = [transaction.walletAddress]
    else:
        counterpart = (transaction.providerId, transaction.providerTransactionId)
        wallets = [w for w in (transaction.walletAddress, transaction.requesterWalletAddress) if w]
    if any(counterpart):
        raise InvalidMessage(f"a new {side} names no counterpart")
    if any(wallet != asset.wallet for wallet in wallets):
        raise InvalidMessage("the wallet address is not the asset's registered wallet")


def find_in_order(entries: Sequence[TwinEntry], expected: Sequence[Mapping[str, Any]]) -> list[str]:
    """What is wrong with a party's twin, given the states it sent here, in order.

    The twin also holds states the marketplace never saw (the party's own
    bookkeeping), so each expected state must come after the previous one, not
    right after it, unlike the marketplace's own twin of a contract.
    """
    problems: list[str] = []
    cursor = 0
    for index, wanted in enumerate(expected):
        found = next((i for i in range(cursor, len(entries)) if entries[i].state == wanted), None)
        if found is None:
            problems.append(f"state {index} ({wanted.get('status')}) is not on the twin")
            continue
        if not entries[found].confirmed:
            problems.append(f"state {index} (message {entries[found].message_id}) is unconfirmed")
        cursor = found + 1
    return problems


@dataclass(frozen=True, slots=True)
class ContractAudit:
    """The contract's own twin and both parties' transaction twins, held against the database."""

    contract_id: str
    contract: TwinAudit
    provider: TwinAudit
    consumer: TwinAudit

    @property
    def ok(self) -> bool:
        return self.contract.ok and self.provider.ok and self.consumer.ok

    def to_json(self) -> dict[str, Any]:
        return {
            "contractId": self.contract_id,
            "ok": self.ok,
            "contract": self.contract.to_json(),
            "provider": self.provider.to_json(),
            "consumer": self.consumer.to_json(),
        }
