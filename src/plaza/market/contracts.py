"""Contracts: what a match becomes once the marketplace signs it.

The marketplace signs a canonical form of the contract (domain tag, then JSON
with sorted keys and integer amounts), so any party or auditor holding the
marketplace's public key can check a contract found on a twin or in a reply.
:class:`ContractDesk` turns matches into signed contracts, records each on its
twins and opens its settlement; every part is idempotent, so a desk that
crashed half way simply runs again over the same matches.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from plaza.crypto import SigningKey, verify_signature
from plaza.market.model import Match
from plaza.market.settlement import Contract, SettlementService

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
    """A contract, the match it came from, and the marketplace's Ed25519 signature."""

    match: Match
    marketplace_key: bytes
    signature: bytes

    @property
    def contract(self) -> Contract:
        match = self.match
        return Contract(
            match.id, match.provider, match.consumer, match.quantity, match.unit_price,
            match.matched_at_ms,
        )  # fmt: skip

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
            "total": match.total,
            "policy": match.policy,
            "matched_at_ms": match.matched_at_ms,
            "marketplace": self.marketplace_key.hex(),
        }

    def canonical_bytes(self) -> bytes:
        return canonical_contract(self.match, self.marketplace_key)

    def check_signature(self) -> None:
        if not verify_signature(self.marketplace_key, self.canonical_bytes(), self.signature):
            raise ContractSignatureInvalid(self.match.id)


def canonical_contract(match: Match, marketplace_key: bytes) -> bytes:
    terms = SignedContract(match, marketplace_key, b"").terms()
    return CONTRACT_DOMAIN + json.dumps(terms, sort_keys=True, separators=(",", ":")).encode()


def sign_contract(match: Match, key: SigningKey) -> SignedContract:
    public = key.public_key.raw
    return SignedContract(match, public, key.sign(canonical_contract(match, public)))


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
    ) -> None:
        self._key = key
        self._settlement = settlement
        self._twins = twins

    @property
    def public_key(self) -> bytes:
        return self._key.public_key.raw

    def open(self, matches: Iterable[Match]) -> list[SignedContract]:
        """Sign, record and open a contract for each match (again, harmlessly, if it exists).

        Ed25519 signatures are deterministic, so signing a match again yields the
        very same contract bytes a twin may already hold.
        """
        contracts = [sign_contract(match, self._key) for match in matches]
        for contract in contracts:
            if self._twins is not None:
                self._twins.record_contract(contract)
            self._settlement.open(contract.contract)
        return contracts
