"""What the bid manager needs of the world beyond the market's book: its own tables, a clock.

The book keeps each bid's orders (the seed's fields as their attributes, found by their
idempotency keys) and what matched; these tables keep what the seed adds: each bid's
state and generation, removals that overtook their bid, the pairs sent and refused, how
far the journal was read, and the seed's ``log``.

Adapters of :class:`BidStore`: :class:`~plaza.energy.bidmanager.store.SqliteBidStore` (the
running module, beside the book's journal) and
:class:`~plaza.energy.bidmanager.memory.MemoryBidStore` (tests), both checked by one contract
suite (``tests/contract/test_energy_bid_store.py``). Its outbox is the marketplace's
:class:`~plaza.energy.link.LetterSender`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol

from plaza.energy.bidmanager.model import Bid, BidRecord
from plaza.ledger.ports import Clock

__all__ = ["BidStore", "Clock"]


class BidStore(Protocol):
    """The bid manager's own tables, beside the book's journal."""

    def atomic(self) -> AbstractContextManager[None]:
        """Run the writes inside as one transaction: all of them land, or none."""
        ...

    def bid(self, key: str) -> BidRecord | None:
        """A bid's record by its key, or None."""
        ...

    def save_bid(self, record: BidRecord) -> None:
        """Store a bid's record, or its new state, generation and reason (its owner stays
        as first stored)."""
        ...

    def legacy_bids(self) -> list[tuple[BidRecord, Bid]]:
        """The bids a previous version kept in its own tables (with their fields; their
        orders carry none), oldest first, until :meth:`drop_legacy`; none in memory."""
        ...

    def drop_legacy(self) -> None:
        """Drop the previous version's tables, once their bids are carried over."""
        ...

    def removed(self, key: str) -> bool:
        """Whether a bid was removed before it arrived (the letters crossed)."""
        ...

    def add_removal(self, key: str, *, now_ms: int) -> None:
        """Remember a removal of a bid not seen yet."""
        ...

    def processed_through(self) -> int:
        """The last journal step whose matches were turned into letters or requeued."""
        ...

    def set_processed(self, step: int) -> None:
        """Record the last journal step handled."""
        ...

    def add_match(self, offer_key: str, request_key: str, *, now_ms: int) -> None:
        """A pair sent to the marketplace."""
        ...

    def add_refused_match(
        self, offer_key: str, request_key: str, *, reason: str, now_ms: int
    ) -> None:
        """A pair the marketplace refused: it is never sent again."""
        ...

    def refused_match(self, offer_key: str, request_key: str) -> bool:
        """Whether the marketplace refused this pair before."""
        ...

    def log(
        self, *, now_ms: int, operation: str, record_id: str, outcome: str, detail: str
    ) -> None:
        """The ``log`` table: every significant operation, its success or refusal."""
        ...

    def log_entries(self, *, limit: int = 1000) -> list[dict[str, Any]]:
        """The newest log lines first (for operators and tests)."""
        ...

    def statistics(self) -> dict[str, int]:
        """Bids per state, matches sent, and matches refused."""
        ...

    def close(self) -> None:
        """Release the database; the store is not used after."""
        ...
