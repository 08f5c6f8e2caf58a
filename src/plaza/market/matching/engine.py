"""The matching engine: one book per kind, the active entries, and a policy. No I/O, no clock.

The engine is the part of the bid manager that the benchmark times against a
minimal heap book: it takes entries, lets the policy trade them, rests what is
left and keeps statuses straight. Journal events, ids and idempotency belong to
:class:`~plaza.market.book.order_book.OrderBook` on top of it.
"""

from __future__ import annotations

from collections.abc import Iterable

from plaza.market.matching.base import IndexingPolicy, KindBook, MatchingPolicy, exhaust
from plaza.market.matching.entries import Fill, Resting
from plaza.market.model import OrderStatus

__all__ = ["MatchingEngine"]

_ACTIVE = OrderStatus.ACTIVE


class MatchingEngine:
    """Active orders of every kind, matched by ``policy``.

    ``active`` indexes active entries by order id; it may also hold dead ones
    (filled by a clearing) until :meth:`prune`, so an entry's own ``status`` is
    the truth. ``expired`` collects entries that matching found past their window and
    expired on the way; the book drains it after each command to journal them.
    """

    def __init__(self, policy: MatchingPolicy) -> None:
        self.policy = policy
        indexing = policy if isinstance(policy, IndexingPolicy) else None
        self._on_rest = None if indexing is None else indexing.on_rest
        self._indexing = indexing
        self.books: dict[str, KindBook] = {}
        self.active: dict[str, Resting] = {}
        self.expired: list[Resting] = []

    def kind_book(self, kind: str) -> KindBook:
        book = self.books.get(kind)
        if book is None:
            book = self.books[kind] = KindBook(kind, self.active, self._expire)
        return book

    def submit(self, entry: Resting, now_ms: int) -> list[Fill]:
        """Match a new (or re-enabled) active entry, then rest what remains of it."""
        book = self.books.get(entry.kind) or self.kind_book(entry.kind)
        fills: list[Fill] = []
        self.policy.on_submit(book, entry, now_ms, fills)
        if entry.remaining:
            (book.offers if entry.is_offer else book.requests).rest(entry)
            self.active[entry.id] = entry
            if self._on_rest is not None:
                self._on_rest(book, entry)
        return fills

    def rest(self, entry: Resting) -> None:
        """Put an active entry on the book without matching (rebuilding from the journal)."""
        book = self.kind_book(entry.kind)
        book.side_of(entry).rest(entry)
        self.active[entry.id] = entry
        if self._on_rest is not None:
            self._on_rest(book, entry)

    def remove(self, entry: Resting, status: OrderStatus = OrderStatus.REMOVED) -> bool:
        """Take an active entry off the book with ``status``; False if it was not active."""
        if entry.status is not _ACTIVE:
            return False
        self.active.pop(entry.id, None)
        entry.live = False
        entry.status = status
        return True

    def prune(self) -> None:
        """Drop dead entries from :attr:`active` (a clearing leaves its filled ones there)."""
        dead = [order_id for order_id, entry in self.active.items() if not entry.live]
        for order_id in dead:
            del self.active[order_id]

    def live_entries(self) -> list[Resting]:
        """Every active entry (a scan: for sweeps, searches and statistics)."""
        return [entry for entry in self.active.values() if entry.live]

    def fill(self, offer: Resting, request: Resting, quantity: int) -> None:
        """Apply a fill decided elsewhere (a journal replay or a confirmed suggestion)."""
        book = self.kind_book(offer.kind)
        for entry in (offer, request):
            before = entry.remaining
            entry.remaining -= quantity
            if not entry.remaining:
                exhaust(book, entry)
            elif self._indexing is not None and entry.live:
                self._indexing.on_shrink(book, entry, before)

    def clear(self, now_ms: int, kinds: Iterable[str] | None = None) -> list[Fill]:
        """Run the policy's periodic clearing on each kind, in name order."""
        fills: list[Fill] = []
        for kind in sorted(self.books if kinds is None else kinds):
            if kind in self.books:
                self.policy.on_clear(self.books[kind], now_ms, fills)
        return fills

    def _expire(self, entry: Resting) -> None:
        self.remove(entry, OrderStatus.EXPIRED)
        self.expired.append(entry)
