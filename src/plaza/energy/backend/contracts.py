"""Contracts: the bid manager's ``/match`` of an offer and a request, made once per pair.

The contract is signed by the marketplace, stored with both transactions and its
settlement in the market's lifecycle (:func:`plaza.market.settlement.lifecycle.
open_settlement`, in the store's transaction), then sent to both parties. A match
that can never become a contract is refused naming its dead bids, so the bid
manager drops them without reading the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from plaza.crypto import Identity
from plaza.energy.backend.bids import bid_of, refuse_dead_bids, why_dead
from plaza.energy.backend.journal import Journal
from plaza.energy.backend.model import (
    EnergyContractRecord,
    MarketplaceSettings,
    TransactionRecord,
    contract_id_for,
    id_field,
    seed_bid,
)
from plaza.energy.backend.ports import MarketplaceStore
from plaza.energy.envelope import open_letter, sign_document
from plaza.energy.errors import EnergyForbidden
from plaza.energy.model import EnergyContract, TransactionStatus, TransactionType
from plaza.energy.peers import BIDMANAGER, MARKETPLACE, Peer
from plaza.market.auth import NonceStore
from plaza.market.settlement import SettlementPolicy, lifecycle

__all__ = ["EnergyContractDesk"]


class EnergyContractDesk:
    """Matches in, contracts out; and who may not contract any more."""

    def __init__(
        self,
        *,
        identity: Identity,
        store: MarketplaceStore,
        journal: Journal,
        bidmanager: Peer,
        nonces: NonceStore,
        settings: MarketplaceSettings,
        policy: SettlementPolicy,
    ) -> None:
        self._identity = identity
        self._store = store
        self._journal = journal
        self._bidmanager = bidmanager
        self._nonces = nonces
        self._settings = settings
        self._policy = policy

    def exclusion(self, consumer: str) -> str | None:
        """Why ``consumer`` may not request, or None."""
        limit = self._settings.exclude_after_claims
        if limit > 0 and self._store.claims_against(consumer) >= limit:
            return f"{consumer!r} is excluded after {limit} claims"
        return None

    def match(self, document: bytes) -> str:
        """The pair's contract, made once; or a refusal naming its dead bids.

        A bid no longer open, unknown or different from the one received, and the
        request of an excluded consumer, can never be contracted: the refusal names
        each such bid in ``details={"dead": ["offer:<id>", "request:<id>"]}``.
        """
        bids = self._bids_in(document)
        found = {
            side: self._store.transaction(side, bid[id_field(side)]) for side, bid in bids.items()
        }
        offer, request = found[TransactionType.OFFER], found[TransactionType.REQUEST]
        if offer is not None and request is not None:
            contract_id = contract_id_for(offer.first.id, request.first.id)
            pair = ((TransactionType.OFFER, offer), (TransactionType.REQUEST, request))
            received = all(dict(bids[side]) == seed_bid(record.first) for side, record in pair)
            if received and self._store.contract(contract_id) is not None:
                self._journal.resend(contract_id, MARKETPLACE, "/match", None)
                return contract_id
        dead = [
            why for side, record in found.items() if (why := why_dead(side, bids[side], record))
        ]
        if request is not None and (exclusion := self.exclusion(request.first.requesterId)):
            dead.append((EnergyForbidden, exclusion, request.record_id))
        if dead:
            raise refuse_dead_bids(dead)
        assert offer is not None  # else it would be dead
        assert request is not None
        return self._contract(offer, request)

    def _bids_in(self, document: bytes) -> dict[TransactionType, Mapping[str, Any]]:
        """The pair of bids the bid manager's ``/match`` letter names."""
        bidmanager = self._bidmanager.key.signing
        letter = open_letter(
            document,
            identity=self._identity,
            audience=MARKETPLACE,
            now_ms=self._journal.now(),
            nonces=self._nonces,
            known_key=lambda sender: bidmanager if sender == BIDMANAGER else None,
        )
        return {
            side: bid_of(letter.body, side)
            for side in (TransactionType.OFFER, TransactionType.REQUEST)
        }

    def _contract(self, offer: TransactionRecord, request: TransactionRecord) -> str:
        """Join two open bids: the signed contract, its settlement and both transactions
        change together, then the contract goes to both parties."""
        now = self._journal.now()
        contract_id = contract_id_for(offer.first.id, request.first.id)
        contract = EnergyContract.join(contract_id, offer.first, request.first, now_ms=now)
        signed = sign_document(contract.to_json(), self._identity)
        opened = lifecycle.open_settlement(contract.to_settlement(), now, self._policy)
        record = EnergyContractRecord(contract, signed, contract.transaction)
        with self._store.atomic():
            self._store.settlements.create(opened)
            self._store.save_contract(record, status=TransactionStatus.CONTRACT_CREATED, now_ms=now)
            for bid in (offer, request):
                joined = replace(bid, latest=contract.transaction, contract_id=contract_id)
                self._store.save_transaction(joined, now_ms=now)
            made = self._journal.event(
                contract_id, "own", MARKETPLACE, "/match", contract.to_json(), on_twin=True
            )
            parties = (contract.offer.providerId, contract.request.requesterId)
            sent = [
                self._journal.event(contract_id, "out", party, "/contract", signed, cause=made.id)
                for party in parties
            ]
        for event in sent:
            self._journal.send(event)
        return contract_id
