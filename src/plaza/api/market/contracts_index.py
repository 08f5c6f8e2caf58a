"""Signed contracts by id and by party, read from the book's journal.

The facade answers a contract's *settlement* (with the authorization checks),
but neither its signed terms nor a participant's list of contracts. Both are
in the journal, where every match is recorded with the step that made it. The
index reads the journal incrementally (entries after the last step it has
seen), so contracts made by any path - a submission, a periodic clearing, a
reconciliation after a crash - are found, and re-signs each match with the
marketplace key: Ed25519 signatures are deterministic, so these are the very
bytes the contract desk signed and recorded.

It only finds; callers authorise through the facade first. When the facade
gains ``contract(caller, id)`` and ``contracts_of(caller)`` this goes away.
"""

from __future__ import annotations

import threading

from plaza.crypto import SigningKey
from plaza.market.book.ports import BookStore
from plaza.market.contracts import SignedContract, sign_contract
from plaza.market.kinds import NO_KINDS, Kinds

__all__ = ["ContractIndex"]


class ContractIndex:
    """Every contract in the journal, kept in memory (one signed value per contract)."""

    def __init__(self, journal: BookStore, key: SigningKey, *, kinds: Kinds = NO_KINDS) -> None:
        self._journal = journal
        self._key = key
        self._kinds = kinds  # a kind's own price is among the signed terms
        self._lock = threading.Lock()
        self._through = 0
        self._by_id: dict[str, SignedContract] = {}
        self._by_party: dict[str, list[str]] = {}

    def refresh(self) -> int:
        """Index the journal's entries since the last refresh; how many contracts were new."""
        with self._lock:
            added = 0
            for entry in self._journal.entries(after_step=self._through):
                for match in entry.matches():
                    if match.id not in self._by_id:
                        value = self._kinds.contract_value(match)
                        self._by_id[match.id] = sign_contract(match, self._key, value=value)
                        for party in dict.fromkeys((match.provider, match.consumer)):
                            self._by_party.setdefault(party, []).append(match.id)
                        added += 1
                self._through = entry.step
            return added

    def get(self, contract_id: str) -> SignedContract | None:
        """The signed contract, reading the journal first if it is not indexed yet."""
        with self._lock:
            found = self._by_id.get(contract_id)
        if found is None and self.refresh():
            with self._lock:
                found = self._by_id.get(contract_id)
        return found

    def of_party(self, participant_id: str, *, limit: int, offset: int = 0) -> list[SignedContract]:
        """The participant's contracts as provider or consumer, newest first."""
        self.refresh()
        with self._lock:
            ids = self._by_party.get(participant_id, [])
            page = ids[::-1][offset : offset + limit]
            return [self._by_id[contract_id] for contract_id in page]
