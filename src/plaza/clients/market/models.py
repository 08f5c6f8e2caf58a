"""What the marketplace API answers, as values: the market's own where they fit.

Contracts come back as :class:`~plaza.market.contracts.SignedContract` rebuilt
from the signed terms, so ``record.signed.check_signature()`` checks the
marketplace's signature locally, without trusting the transport. Participants
come back as :class:`~plaza.market.auth.Participant`, which refuses an id that
is not the address of its signing key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from plaza.crypto import EncryptionPublicKey, PublicKey
from plaza.market.auth import Participant, Role, Scope
from plaza.market.book.views import Suggestion
from plaza.market.contracts import SignedContract
from plaza.market.model import Location, Order, OrderStatus, Requirements, Side, attributes
from plaza.market.settlement import Phase

__all__ = [
    "ApiKeyRecord",
    "ContractRecord",
    "HubSubscription",
    "IssuedApiKeyRecord",
    "MarketInfo",
    "SettlementState",
    "SubmissionRecord",
    "parse_api_key",
    "parse_contract",
    "parse_info",
    "parse_order",
    "parse_participant",
    "parse_submission",
    "parse_suggestion",
]

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class MarketInfo:
    audience: str
    marketplace_id: str
    signing_key: PublicKey
    encryption_key: EncryptionPublicKey
    policy: str
    node_url: str | None
    time_ms: int


@dataclass(frozen=True, slots=True)
class SettlementState:
    """Where a contract's settlement stands (the seed's phase names)."""

    contract_id: str
    phase: Phase
    updated_at_ms: int
    deadline_ms: int
    reminders: int
    version: int
    payment_message_id: str | None = None
    payment_amount: int | None = None


@dataclass(frozen=True, slots=True)
class ContractRecord:
    signed: SignedContract
    settlement: SettlementState | None

    @property
    def id(self) -> str:
        return self.signed.match.id


@dataclass(frozen=True, slots=True)
class SubmissionRecord:
    """An order after its step, the contracts it made, and whether it was a replayed retry."""

    order: Order
    contracts: tuple[ContractRecord, ...]
    replayed: bool


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    id: str
    owner_id: str
    name: str
    scopes: frozenset[Scope]
    created_at_ms: int
    revoked_at_ms: int | None
    last_used_at_ms: int | None
    expires_at_ms: int | None = None


@dataclass(frozen=True, slots=True)
class IssuedApiKeyRecord:
    """A new key and its secret, which the marketplace never shows again."""

    key: ApiKeyRecord
    secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class HubSubscription:
    id: str
    callback: str
    query: str
    secret: str | None = field(default=None, repr=False)


def parse_info(body: Json) -> MarketInfo:
    return MarketInfo(
        audience=str(body["audience"]),
        marketplace_id=str(body["marketplace_id"]),
        signing_key=PublicKey(bytes.fromhex(body["signing_key"])),
        encryption_key=EncryptionPublicKey(bytes.fromhex(body["encryption_key"])),
        policy=str(body["policy"]),
        node_url=body["node_url"],
        time_ms=int(body["time_ms"]),
    )


def parse_participant(body: Json) -> Participant:
    return Participant(
        id=str(body["id"]),
        signing_key=PublicKey(bytes.fromhex(body["signing_key"])),
        encryption_key=EncryptionPublicKey(bytes.fromhex(body["encryption_key"])),
        display_name=str(body["display_name"]),
        roles=frozenset(Role(role) for role in body["roles"]),
        registered_at_ms=int(body["registered_at_ms"]),
        excluded=bool(body["excluded"]),
    )


def parse_api_key(body: Json) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=str(body["id"]),
        owner_id=str(body["owner_id"]),
        name=str(body["name"]),
        scopes=frozenset(Scope(scope) for scope in body["scopes"]),
        created_at_ms=int(body["created_at_ms"]),
        revoked_at_ms=body["revoked_at_ms"],
        last_used_at_ms=body["last_used_at_ms"],
        expires_at_ms=body.get("expires_at_ms"),
    )


def _location(body: Json | None) -> Location | None:
    return None if body is None else Location(float(body["lat"]), float(body["lon"]))


def _requirements(body: Json) -> Requirements:
    return Requirements(
        attributes=attributes(body["attributes"]),
        min_quality=body["min_quality"],
        partners=tuple(body["partners"]),
        max_distance_km=body["max_distance_km"],
    )


def parse_order(body: Json) -> Order:
    return Order(
        id=str(body["id"]),
        side=Side(body["side"]),
        owner=str(body["owner"]),
        kind=str(body["kind"]),
        quantity=int(body["quantity"]),
        unit_price=int(body["unit_price"]),
        valid_from_ms=int(body["valid_from_ms"]),
        valid_until_ms=int(body["valid_until_ms"]),
        location=_location(body["location"]),
        attributes=attributes(body["attributes"]),
        requirements=_requirements(body["requirements"]),
        asset_id=body["asset_id"],
        accepted_at_ms=int(body["accepted_at_ms"]),
        priority=int(body["priority"]),
        remaining=int(body["remaining"]),
        status=OrderStatus(body["status"]),
    )


def parse_suggestion(body: Json) -> Suggestion:
    return Suggestion(
        parse_order(body["order"]),
        int(body["quantity"]),
        int(body["unit_price"]),
        body["distance_km"],
    )


def _settlement(body: Json | None) -> SettlementState | None:
    if body is None:
        return None
    payment = body["payment"]
    return SettlementState(
        contract_id=str(body["contract_id"]),
        phase=Phase(body["phase"]),
        updated_at_ms=int(body["updated_at_ms"]),
        deadline_ms=int(body["deadline_ms"]),
        reminders=int(body["reminders"]),
        version=int(body["version"]),
        payment_message_id=None if payment is None else str(payment["message_id"]),
        payment_amount=None if payment is None else int(payment["amount"]),
    )


def parse_contract(body: Json) -> ContractRecord:
    """The contract as signed: the match is rebuilt from the signed terms (its journal step
    is not among them and does not matter to the signature)."""
    signed = SignedContract.from_terms(body["terms"], bytes.fromhex(body["signature"]))
    return ContractRecord(signed, _settlement(body["settlement"]))


def parse_submission(body: Json) -> SubmissionRecord:
    return SubmissionRecord(
        order=parse_order(body["order"]),
        contracts=tuple(parse_contract(contract) for contract in body["contracts"]),
        replayed=bool(body["replayed"]),
    )
