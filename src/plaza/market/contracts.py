"""Contracts: what a match becomes once the marketplace signs it.

The marketplace signs a canonical form of the contract (domain tag, then JSON
with sorted keys and integer amounts), so any party or auditor holding the
marketplace's public key can check a contract found on a twin or in a reply.
:class:`ContractDesk` turns matches into signed contracts, records each on its
twins and opens its settlement; every part is idempotent, so a desk that
crashed half way simply runs again over the same matches. A contract's
``total`` is its kind's price when a vertical registered the kind
(:mod:`plaza.market.kinds`), else quantity times unit price; the desk tells
the kind's ``contract_made`` hook once the settlement is first opened.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from plaza.crypto import SigningKey, verify_signature
from plaza.market.kinds import NO_KINDS, Kinds
from plaza.market.model import Match
from plaza.market.settlement import Contract, ContractNotFound, SettlementService

__all__ = [
    "CONTRACT_DOMAIN",
    "ContractDesk",
    "ContractSignatureInvalid",
    "ContractTwins",
    "SignedContract",
    "sign_contract",
]

CONTRACT_DOMAIN = b"plaza-contract-v1\n"


class ContractSignatureInvalid(Exception):
    code = "contract_signature_invalid"

    def __init__(self, contract_id: str) -> None:
        super().__init__(f"contract {contract_id!r} is not signed by the marketplace it names")
        self.contract_id = contract_id


@dataclass(frozen=True, slots=True)
class SignedContract:
    """A contract, the match it came from, and the marketplace's Ed25519 signature.

    ``value`` is what the contract costs when its kind prices it otherwise than
    the match's quantity times unit price (None when it does not).
    """

    match: Match
    marketplace_key: bytes
    signature: bytes
    value: int | None = None

    @classmethod
    def from_terms(cls, terms: Mapping[str, Any], signature: bytes) -> SignedContract:
        """The contract whose :meth:`terms` are ``terms``, ready for :meth:`check_signature`.

        The journal step of the match is not part of the signed terms, so it is 0 here.
        Raises ``KeyError``, ``TypeError`` or ``ValueError`` on terms that are not a
        contract's.
        """
        match = Match(
            id=str(terms["contract_id"]),
            kind=str(terms["kind"]),
            offer_id=str(terms["offer_id"]),
            request_id=str(terms["request_id"]),
            provider=str(terms["provider"]),
            consumer=str(terms["consumer"]),
            quantity=int(terms["quantity"]),
            unit_price=int(terms["unit_price"]),
            policy=str(terms["policy"]),
            matched_at_ms=int(terms["matched_at_ms"]),
            step=0,
        )
        total = int(terms["total"])
        value = None if total == match.total else total
        return cls(match, bytes.fromhex(terms["marketplace"]), signature, value)

    @property
    def total(self) -> int:
        """What the consumer pays, in base units."""
        return self.match.total if self.value is None else self.value

    @property
    def contract(self) -> Contract:
        """The contract as settlement sees it."""
        match = self.match
        return Contract(
            match.id,
            match.provider,
            match.consumer,
            match.quantity,
            match.unit_price,
            match.matched_at_ms,
            kind=match.kind,
            value=self.value,
        )

    def terms(self) -> dict[str, Any]:
        """The signed fields, as JSON-ready values."""
        match = self.match
        return {
            "contract_id": match.id,
            "kind": match.kind,
            "offer_id": match.offer_id,
            "request_id": match.request_id,
            "provider": match.provider,
            "consumer": match.consumer,
            "quantity": match.quantity,
            "unit_price": match.unit_price,
            "total": self.total,
            "policy": match.policy,
            "matched_at_ms": match.matched_at_ms,
            "marketplace": self.marketplace_key.hex(),
        }

    def canonical_bytes(self) -> bytes:
        terms = self.terms()
        return CONTRACT_DOMAIN + json.dumps(terms, sort_keys=True, separators=(",", ":")).encode()

    def check_signature(self) -> None:
        if not verify_signature(self.marketplace_key, self.canonical_bytes(), self.signature):
            raise ContractSignatureInvalid(self.match.id)


def canonical_contract(match: Match, marketplace_key: bytes, value: int | None = None) -> bytes:
    """The bytes the marketplace signs: domain tag, then the terms as sorted compact JSON."""
    return SignedContract(match, marketplace_key, b"", value).canonical_bytes()


def sign_contract(match: Match, key: SigningKey, *, value: int | None = None) -> SignedContract:
    """``match`` signed as a contract; ``value`` is its kind's price if that is not the
    match's quantity times unit price."""
    public = key.public_key.raw
    value = None if value == match.total else value
    return SignedContract(match, public, key.sign(canonical_contract(match, public, value)), value)


class ContractTwins(Protocol):
    """Where signed contracts are recorded: the contract's own twin and both parties'."""

    def record_contract(self, contract: SignedContract) -> None:
        """Record ``contract`` on its twins; recording it again changes nothing."""
        ...


class ContractDesk:
    """Matches in, signed contracts out: recorded, and opened for settlement."""

    def __init__(
        self,
        key: SigningKey,
        settlement: SettlementService,
        *,
        twins: ContractTwins | None = None,
        kinds: Kinds = NO_KINDS,
    ) -> None:
        self._key = key
        self._settlement = settlement
        self._twins = twins
        self._kinds = kinds

    @property
    def public_key(self) -> bytes:
        return self._key.public_key.raw

    def open(self, matches: Iterable[Match]) -> list[SignedContract]:
        """Sign, record and open a contract for each match (again, harmlessly, if it exists).

        Ed25519 signatures are deterministic, so signing a match again yields the
        very same contract bytes a twin may already hold. The kind's ``contract_made``
        hook hears of the contracts whose settlement this call opened.
        """
        contracts = [self.sign(match) for match in matches]
        for contract in contracts:
            if self._twins is not None:
                self._twins.record_contract(contract)
            hears = self._kinds.hears(contract.match.kind)
            if hears and self._is_open(contract.match.id):
                hears = False  # a retry or a reconciliation: the hook ran when it opened
            self._settlement.open(contract.contract)
            if hears:
                self._kinds.contract_made(contract)
        return contracts

    def sign(self, match: Match) -> SignedContract:
        """The contract of ``match``, priced by its kind, as the desk signs it."""
        return sign_contract(match, self._key, value=self._kinds.contract_value(match))

    def _is_open(self, contract_id: str) -> bool:
        try:
            self._settlement.get(contract_id)
        except ContractNotFound:
            return False
        return True
