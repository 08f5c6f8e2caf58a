"""The order book as a pure state machine: commands in, journal entries out.

:class:`OrderBook` holds every order it has accepted, the matching engine, and
the counters that name orders and matches. Each command checks its rules, changes
the book, and returns the :class:`~plaza.market.book.journal.JournalEntry` that
describes the change; :meth:`OrderBook.apply` makes the same change from an
entry, which is how a book is rebuilt from its journal. Only submissions and
re-enabled orders run the policy; every other change is applied through the same
code in both directions, so the two paths cannot drift apart.

The book does no I/O and reads no clock. Committing entries, and rebuilding
when a commit fails, is :class:`~plaza.market.book.service.BidManager`'s job.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from plaza.market.book.journal import (
    BookEvent,
    JournalEntry,
    OrderAccepted,
    OrderChange,
    OrderMatched,
    OrderStatusChanged,
)
from plaza.market.book.views import BookStatistics, OrderQuery, Suggestion, changes_of, search
from plaza.market.errors import (
    JournalConflict,
    NotMatchable,
    OrderNotActive,
    OrderNotFound,
    SelfMatch,
)
from plaza.market.matching import (
    Fill,
    MatchingEngine,
    MatchingPolicy,
    Resting,
    mismatch,
    policy_for,
    rank_candidates,
)
from plaza.market.model import Match, NewOrder, Order, OrderStatus, Side, check_new_order

__all__ = ["MANUAL", "OrderBook"]

#: The policy name recorded on matches a participant confirmed by hand.
MANUAL = "manual"


class OrderBook:
    """Every accepted order, matched by ``policy``; commands return what they journaled."""

    def __init__(self, policy: MatchingPolicy) -> None:
        self.policy = policy
        self.engine = MatchingEngine(policy)
        self.step = 0
        self._entries: dict[str, Resting] = {}
        self._disabled: dict[str, Resting] = {}
        self._keys: dict[tuple[str, str], int] = {}
        self._keyed_orders: dict[tuple[str, str], str] = {}
        self._accepted = 0
        self._priority = 0
        self._matched = 0

    @classmethod
    def rebuild(cls, policy: MatchingPolicy, entries: Iterable[JournalEntry]) -> OrderBook:
        """The book those entries describe, as it stood after the last of them."""
        book = cls(policy)
        for entry in entries:
            book.apply(entry)
        return book

    # -- commands ---------------------------------------------------------------------

    def submit(
        self, spec: NewOrder, now_ms: int, *, idempotency_key: str | None = None
    ) -> JournalEntry:
        """Accept a new order and match it by the policy."""
        check_new_order(spec, now_ms)
        self._accepted += 1
        self._priority += 1
        order = Order.accept(
            spec, order_id=f"ord-{self._accepted}", priority=self._priority, at_ms=now_ms
        )
        entry = self._entries[order.id] = Resting(order)
        fills = self.engine.submit(entry, now_ms)
        key = None if idempotency_key is None else (spec.owner, idempotency_key)
        return self._record(now_ms, [OrderAccepted(order)], fills, self.policy.name, key)

    def disable(self, order_id: str, now_ms: int) -> JournalEntry:
        """Keep an active order but stop it matching."""
        self.check_status(order_id, OrderStatus.ACTIVE)
        return self._record(now_ms, [self._set_status(order_id, OrderStatus.DISABLED)])

    def enable(self, order_id: str, now_ms: int) -> JournalEntry:
        """Make a disabled order active again, at the back of its level, and match it."""
        entry = self.check_status(order_id, OrderStatus.DISABLED)
        if entry.valid_until <= now_ms:
            raise OrderNotActive(order_id, OrderStatus.EXPIRED)
        self._priority += 1
        event = self._set_status(order_id, OrderStatus.ACTIVE, self._priority, rest=False)
        fills = self.engine.submit(self._entries[order_id], now_ms)
        return self._record(now_ms, [event], fills, self.policy.name)

    def remove(self, order_id: str, now_ms: int) -> JournalEntry:
        """Cancel an open (active or disabled) order."""
        self.check_open(order_id)
        return self._record(now_ms, [self._set_status(order_id, OrderStatus.REMOVED)])

    def expire(self, now_ms: int) -> JournalEntry | None:
        """Expire every open order whose window has ended; None when there is none."""
        self.engine.prune()
        due = [
            entry.id
            for entry in (*self.engine.active.values(), *self._disabled.values())
            if entry.valid_until <= now_ms
        ]
        if not due:
            return None
        events = [self._set_status(order_id, OrderStatus.EXPIRED) for order_id in sorted(due)]
        return self._record(now_ms, list(events))

    def clear(self, now_ms: int, kinds: Iterable[str] | None = None) -> JournalEntry | None:
        """Run the policy's periodic clearing; None when it changed nothing."""
        fills = self.engine.clear(now_ms, kinds)
        if not fills and not self.engine.expired:
            return None
        return self._record(now_ms, [], fills, self.policy.name)

    def confirm(
        self,
        order_id: str,
        counter_id: str,
        now_ms: int,
        *,
        quantity: int | None = None,
        participant: str | None = None,
        idempotency_key: str | None = None,
    ) -> JournalEntry:
        """Match two orders by hand (a confirmed suggestion), at the offer's price."""
        a = self._matchable(order_id, now_ms)
        b = self._matchable(counter_id, now_ms)
        offer, request = (a, b) if a.is_offer else (b, a)
        if offer.is_offer == request.is_offer:
            raise NotMatchable(
                a.id, b.id, f"both are {Side.OFFER if a.is_offer else Side.REQUEST}s"
            )
        if offer.owner == request.owner:
            raise SelfMatch(offer.id, request.id)
        reason = mismatch(offer, request)
        if reason is None and offer.price > request.price:
            reason = f"the offer's price {offer.price} is above the request's {request.price}"
        most = min(offer.remaining, request.remaining)
        if reason is None and quantity is not None and not 0 < quantity <= most:
            reason = f"quantity must be 1 to {most}"
        if reason is not None:
            raise NotMatchable(offer.id, request.id, reason)
        quantity = most if quantity is None else quantity
        self.engine.fill(offer, request, quantity)
        key = (
            None
            if participant is None or idempotency_key is None
            else (participant, idempotency_key)
        )
        return self._record(now_ms, [], [(offer, request, quantity, offer.price)], MANUAL, key)

    # -- replay -----------------------------------------------------------------------

    def apply(self, entry: JournalEntry) -> None:
        """Make the change ``entry`` records; entries must come in step order."""
        if entry.step != self.step + 1:
            raise JournalConflict(entry.step, f"the book is at step {self.step}")
        for event in entry.events:
            self._apply_event(event)
        self._finish_step(entry)

    def _apply_event(self, event: BookEvent) -> None:
        if isinstance(event, OrderAccepted):
            order = event.order
            self._accepted += 1
            self._priority = max(self._priority, order.priority)
            self._entries[order.id] = entry = Resting(order)
            self.engine.rest(entry)
        elif isinstance(event, OrderMatched):
            match = event.match
            self._matched += 1
            self.engine.fill(
                self._entries[match.offer_id], self._entries[match.request_id], match.quantity
            )
        else:
            if event.priority is not None:
                self._priority = max(self._priority, event.priority)
            self._set_status(event.order_id, event.status, event.priority)

    # -- guards -----------------------------------------------------------------------

    def check_status(self, order_id: str, status: OrderStatus) -> Resting:
        """The order's entry, if it has ``status``; else :class:`OrderNotActive`."""
        entry = self._entry(order_id)
        if entry.status is not status:
            raise OrderNotActive(order_id, entry.status)
        return entry

    def check_open(self, order_id: str) -> Resting:
        """The order's entry, if it is active or disabled; else :class:`OrderNotActive`."""
        entry = self._entry(order_id)
        if not entry.status.is_open:
            raise OrderNotActive(order_id, entry.status)
        return entry

    # -- queries ----------------------------------------------------------------------

    def order(self, order_id: str) -> Order:
        return self._entry(order_id).snapshot()

    def orders(self) -> Iterator[Order]:
        """Every order the book has accepted, in acceptance order."""
        return (entry.snapshot() for entry in self._entries.values())

    def entry(self, order_id: str) -> Resting:
        """The live entry behind an order (for queries over the engine's structures)."""
        return self._entry(order_id)

    def search(self, query: OrderQuery) -> list[Order]:
        """Active orders that fit a manual search."""
        return search(self.engine.live_entries(), query)

    def suggest(self, order_id: str, now_ms: int, *, limit: int = 10) -> list[Suggestion]:
        """Ranked counterparts an active order could be matched with by hand."""
        entry = self._matchable(order_id, now_ms)
        book = self.engine.kind_book(entry.kind)
        return [
            Suggestion(c.entry.snapshot(), c.quantity, c.unit_price, c.distance_km)
            for c in rank_candidates(book, entry, now_ms, limit)
        ]

    def step_for_key(self, participant: str, key: str) -> int | None:
        """The step a (participant, idempotency key) pair was first used in."""
        return self._keys.get((participant, key))

    def keyed_order(self, participant: str, key: str) -> str | None:
        """The id of the order a submission with this (participant, idempotency key) made."""
        return self._keyed_orders.get((participant, key))

    def changes(self, entry: JournalEntry) -> list[OrderChange]:
        """What ``entry`` changed, order by order; call right after it was applied."""
        return changes_of(entry, self.order)

    def statistics(self) -> BookStatistics:
        active = self.engine.live_entries()
        offers = sum(entry.is_offer for entry in active)
        return BookStatistics(
            step=self.step,
            orders=len(self._entries),
            active_offers=offers,
            active_requests=len(active) - offers,
            disabled=len(self._disabled),
            matches=self._matched,
            kinds=len(self.engine.books),
            policy=self.policy.name,
        )

    # -- internals --------------------------------------------------------------------

    def _entry(self, order_id: str) -> Resting:
        entry = self._entries.get(order_id)
        if entry is None:
            raise OrderNotFound(order_id)
        return entry

    def _matchable(self, order_id: str, now_ms: int) -> Resting:
        entry = self.check_status(order_id, OrderStatus.ACTIVE)
        if entry.valid_until <= now_ms:
            raise OrderNotActive(order_id, OrderStatus.EXPIRED)
        return entry

    def _set_status(
        self, order_id: str, status: OrderStatus, priority: int | None = None, *, rest: bool = True
    ) -> OrderStatusChanged:
        """Change an open order's status, in a live command and in a replay alike."""
        entry = self._entries[order_id]
        if status is OrderStatus.ACTIVE:
            assert priority is not None
            del self._disabled[order_id]
            order = replace(entry.snapshot(), status=status, priority=priority)
            self._entries[order_id] = fresh = Resting(order)  # never revive the dead entry
            if rest:
                self.engine.rest(fresh)
        elif entry.status is OrderStatus.ACTIVE:
            self.engine.remove(entry, status)
            if status is OrderStatus.DISABLED:
                self._disabled[order_id] = entry
        else:
            entry.status = status
            self._disabled.pop(order_id, None)
        return OrderStatusChanged(order_id, status, priority)

    def _record(
        self,
        now_ms: int,
        events: list[BookEvent],
        fills: Sequence[Fill] = (),
        policy: str = "",
        key: tuple[str, str] | None = None,
    ) -> JournalEntry:
        """Journal a step that already happened: expiries found on the way, events, matches."""
        step = self.step + 1
        expired = self.engine.expired
        head = [OrderStatusChanged(entry.id, OrderStatus.EXPIRED) for entry in expired]
        expired.clear()
        matches = [OrderMatched(self._match(fill, policy, now_ms, step)) for fill in fills]
        participant, idempotency_key = key if key is not None else (None, None)
        entry = JournalEntry(step, now_ms, (*head, *events, *matches), participant, idempotency_key)
        self._finish_step(entry)
        return entry

    def _match(self, fill: Fill, policy: str, now_ms: int, step: int) -> Match:
        offer, request, quantity, price = fill
        self._matched += 1
        if policy != MANUAL:  # the policy of the kind: a vertical may have chosen its own
            policy = policy_for(self.policy, offer.kind).name
        return Match(
            f"mat-{self._matched}",
            offer.kind,
            offer.id,
            request.id,
            offer.owner,
            request.owner,
            quantity,
            price,
            policy,
            now_ms,
            step,
        )

    def _finish_step(self, entry: JournalEntry) -> None:
        self.step = entry.step
        if entry.participant is not None and entry.idempotency_key is not None:
            key = (entry.participant, entry.idempotency_key)
            self._keys[key] = entry.step
            accepted = entry.accepted()
            if accepted:
                self._keyed_orders[key] = accepted[0].id
