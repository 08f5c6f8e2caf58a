"""The bid manager: the marketplace's order book as use cases. Load, act, journal, publish.

:class:`BidManager` rebuilds its :class:`~plaza.market.book.order_book.OrderBook` from the
:class:`~plaza.market.book.ports.BookStore` when it starts, then runs each command in
three moves: the book checks and applies it (pure, in memory), the store writes
the resulting journal entry in one atomic append, and the digital-twin recorder
gets the orders' new states. If the append fails, the in-memory book is thrown
away and rebuilt from the store, so memory never holds a step the journal lacks;
the caller retries with the same idempotency key and gets one order, not two.

Commands carry the acting participant, already authenticated by the API layer,
and refuse to touch someone else's order (:class:`~plaza.market.errors.NotOwner`).
Assets (:mod:`plaza.market.assets.model`) are registered and changed here too, under the
same lock, so an asset cannot be removed while an order naming it is accepted; the
commands themselves are :class:`~plaza.market.assets.service.AssetRegistry`'s, which
stores each asset state, then hands it to the asset twins (caught up on start) and
tells the asset listener (the API's notifications: once per new state, never caught up).
Time comes from the injected clock only. Every public method holds one lock:
matching is sequential by nature, and the API may call from a thread pool.

Several bid managers may share one journal (the worker processes of one marketplace
on PostgreSQL). Every command is one *step*: a unit of work that holds the journal
(:meth:`~plaza.market.book.ports.BookStore.hold`), applies the steps the others
appended since this book last looked, then runs; so at any moment one process
matches, on a book that is the journal's, and a killed one leaves its step undone
and the hold to the next. Queries catch up with the journal first, without the hold.
Orders and assets of a kind a vertical registered (:mod:`plaza.market.kinds`)
keep that kind's rules too, checked before the book sees them, and its book
matches by the kind's policy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from plaza.clock import Clock
from plaza.market.assets.model import AssetChange, AssetQuery
from plaza.market.assets.ports import AssetDirectory, AssetListener, AssetTwins
from plaza.market.assets.service import AssetRegistration, AssetRegistry
from plaza.market.book.deferred import AfterCommit
from plaza.market.book.journal import JournalEntry, OrderChange
from plaza.market.book.order_book import OrderBook
from plaza.market.book.ports import BookStore, OrderTwins
from plaza.market.book.steps import reading, serialised, stepping
from plaza.market.book.views import BookStatistics, OrderQuery, Suggestion
from plaza.market.errors import IdempotencyConflict, MarketError, NotOwner, TwinUnavailable
from plaza.market.kinds import NO_KINDS, Kinds
from plaza.market.matching import MatchingPolicy, policy_named
from plaza.market.model import Asset, Match, NewAsset, NewOrder, Order
from plaza.market.units import UnitOfWork, no_unit

__all__ = ["AssetRegistration", "BidManager", "Submission"]

Command = Callable[[OrderBook, int], JournalEntry | None]
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Submission:
    """An order as it stands after its step, the matches that step made, and whether this
    was a retry answered from the journal (``replayed``) rather than a new step."""

    order: Order
    matches: tuple[Match, ...]
    replayed: bool = False


class BidManager:
    """Offers and requests in, matches out, every step durable before it is answered."""

    def __init__(
        self,
        store: BookStore,
        *,
        clock: Clock,
        policy: MatchingPolicy | str = "cda",
        twins: OrderTwins | None = None,
        assets: AssetDirectory | None = None,
        asset_twins: AssetTwins | None = None,
        asset_listener: AssetListener | None = None,
        kinds: Kinds = NO_KINDS,
        unit: UnitOfWork = no_unit,
    ) -> None:
        self._lock = threading.RLock()
        self._unit = unit
        self._store = store
        self._clock = clock
        self._kinds = kinds
        self._policy = kinds.matching_policy(
            policy_named(policy) if isinstance(policy, str) else policy
        )
        self._twins = twins
        self._told = AfterCommit(asset_listener)
        self._assets = AssetRegistry(
            assets, twins=asset_twins, clock=clock, listener=self._told, unit=unit
        )
        self._pending: list[OrderChange] = []
        self._book = self._load()
        self.sync_twins()
        self.sync_asset_twins()

    # -- orders -----------------------------------------------------------------------

    @stepping
    def submit_order(self, spec: NewOrder, *, idempotency_key: str | None = None) -> Submission:
        """Accept an offer or request from ``spec.owner`` and match it by the policy.

        With an ``idempotency_key``, a retry of the same order returns the first
        outcome (``replayed=True``); the same key with another order is refused.
        """
        if idempotency_key is not None:
            step = self._book.step_for_key(spec.owner, idempotency_key)
            if step is not None:
                return self._replay_submission(step, spec, idempotency_key)
        self._kinds.check_order(spec, self._clock.now_ms())
        self.check_asset_use(spec)
        entry = self._commit(
            lambda book, now: book.submit(spec, now, idempotency_key=idempotency_key)
        )
        assert entry is not None
        order_id = entry.accepted()[0].id
        return Submission(self._book.order(order_id), entry.matches())

    @stepping
    def cancel_order(self, order_id: str, *, participant: str) -> Order:
        """Remove an open order of ``participant`` from the book for good."""
        self.check_owner(order_id, participant)
        self._commit(lambda book, now: book.remove(order_id, now))
        return self._book.order(order_id)

    @stepping
    def disable_order(self, order_id: str, *, participant: str) -> Order:
        """Keep an active order but stop it matching until it is enabled."""
        self.check_owner(order_id, participant)
        self._commit(lambda book, now: book.disable(order_id, now))
        return self._book.order(order_id)

    @stepping
    def enable_order(self, order_id: str, *, participant: str) -> Submission:
        """Make a disabled order active again (at the back of its price level) and match it."""
        self.check_owner(order_id, participant)
        entry = self._commit(lambda book, now: book.enable(order_id, now))
        assert entry is not None
        return Submission(self._book.order(order_id), entry.matches())

    @stepping
    def expire_orders(self) -> list[Order]:
        """Expire every open order whose window has ended; for a periodic job."""
        entry = self._commit(lambda book, now: book.expire(now))
        if entry is None:
            return []
        return [change.order for change in self._book.changes(entry)]

    @stepping
    def clear(self, kind: str | None = None) -> list[Match]:
        """Run the policy's periodic clearing (uniform price) on one kind or all of them."""
        entry = self._commit(lambda book, now: book.clear(now, None if kind is None else [kind]))
        return [] if entry is None else list(entry.matches())

    # -- manual matching --------------------------------------------------------------

    @reading
    def search(self, query: OrderQuery) -> list[Order]:
        """Active orders that fit a manual search (the telco seed's "search of assets and
        offers"), best price first."""
        return self._book.search(query)

    @reading
    def suggest_matches(
        self, order_id: str, *, participant: str, limit: int = 10
    ) -> list[Suggestion]:
        """Ranked counterparts for one of ``participant``'s active orders."""
        self.check_owner(order_id, participant)
        return self._book.suggest(order_id, self._clock.now_ms(), limit=limit)

    @stepping
    def confirm_match(
        self,
        order_id: str,
        counter_id: str,
        *,
        participant: str,
        quantity: int | None = None,
        idempotency_key: str | None = None,
    ) -> Match:
        """Match ``participant``'s order with a chosen counterpart, at the offer's price."""
        self.check_owner(order_id, participant)
        if idempotency_key is not None:
            step = self._book.step_for_key(participant, idempotency_key)
            if step is not None:
                pair = {order_id, counter_id}
                return self._replay_confirmation(step, pair, idempotency_key, participant)
        entry = self._commit(
            lambda book, now: book.confirm(
                order_id,
                counter_id,
                now,
                quantity=quantity,
                participant=participant,
                idempotency_key=idempotency_key,
            )
        )
        assert entry is not None
        return entry.matches()[0]

    # -- assets -----------------------------------------------------------------------

    @stepping
    def register_asset(
        self, spec: NewAsset, *, idempotency_key: str | None = None
    ) -> AssetRegistration:
        """Register an asset of ``spec.owner`` that its orders may name; it gets a new id.

        With an ``idempotency_key``, a retry of the same registration returns the
        asset (``replayed=True``); the same key with another asset is refused.
        """
        self._kinds.check_asset(spec)
        return self._assets.register(spec, idempotency_key=idempotency_key)

    @stepping
    def update_asset(self, asset_id: str, change: AssetChange, *, participant: str) -> Asset:
        """Describe one of ``participant``'s assets anew; an unchanged description is no step."""
        asset = self._assets.get(asset_id)
        if asset.owner == participant:  # else the registry refuses it as not theirs
            described = NewAsset(
                asset.owner, asset.kind, change.name, change.location, change.attributes
            )
            self._kinds.check_asset(described)
        return self._assets.update(asset_id, change, participant=participant)

    @stepping
    def disable_asset(self, asset_id: str, *, participant: str) -> Asset:
        """Stop new orders naming an active asset; open ones run their course."""
        return self._assets.disable(asset_id, participant=participant)

    @stepping
    def enable_asset(self, asset_id: str, *, participant: str) -> Asset:
        """Let orders name a disabled asset again."""
        return self._assets.enable(asset_id, participant=participant)

    @stepping
    def remove_asset(self, asset_id: str, *, participant: str) -> Asset:
        """Retire an asset for good; refused while open orders name it."""
        return self._assets.remove(asset_id, participant=participant, orders=self._book.orders())

    @serialised
    def asset(self, asset_id: str) -> Asset:
        """An asset's current state; :class:`~plaza.market.errors.AssetNotFound` if none."""
        return self._assets.get(asset_id)

    @serialised
    def asset_history(self, asset_id: str) -> list[Asset]:
        """Every state of the asset, oldest first."""
        return self._assets.history(asset_id)

    @serialised
    def search_assets(self, query: AssetQuery) -> list[Asset]:
        return self._assets.search(query)

    @serialised
    def sync_asset_twins(self) -> int:
        """Hand the asset twins every stored state they lack (after a restart); how many."""
        return self._assets.sync_twins()

    # -- guards and queries -----------------------------------------------------------

    def check_owner(self, order_id: str, participant: str) -> None:
        """Raise :class:`NotOwner` unless ``participant`` owns the order."""
        if self._book.entry(order_id).owner != participant:
            raise NotOwner(order_id, participant)

    def check_asset_use(self, spec: NewOrder) -> None:
        """An order naming an asset must be its owner's, of the asset's kind, and active."""
        self._assets.check_use(spec)

    @reading
    def order(self, order_id: str) -> Order:
        return self._book.order(order_id)

    @reading
    def keyed_order(self, participant: str, idempotency_key: str) -> Order | None:
        """The order ``participant`` submitted with this idempotency key, as it stands now.

        A client that names its submissions (a vertical's own ids) finds its orders by
        those names, without keeping a table of order ids beside the journal.
        """
        order_id = self._book.keyed_order(participant, idempotency_key)
        return None if order_id is None else self._book.order(order_id)

    @reading
    def orders(self) -> list[Order]:
        """Every order ever accepted, oldest first."""
        return list(self._book.orders())

    @reading
    def statistics(self) -> BookStatistics:
        return self._book.statistics()

    @serialised
    def sync_twins(self) -> int:
        """Send pending order changes to the twin recorder; how many went. Safe to call often."""
        if self._twins is None or not self._pending:
            return 0
        try:
            self._twins.record(self._pending)
        except TwinUnavailable:
            return 0
        sent = len(self._pending)
        self._pending = []
        return sent

    # -- internals --------------------------------------------------------------------

    def _step(self, action: Callable[[], R]) -> R:
        """Run ``action`` in one unit of work that holds the journal, on a caught-up book.

        A refused command (a :class:`MarketError` from the book's checks, which run
        before any change) changed nothing. Any other failure, or one after the book
        took the step (the append, the commit), may have left memory ahead of the
        journal: the book is rebuilt from the store, once the unit is over, before
        the error goes on. Asset notifications go out only once the unit committed.
        """
        caught_up = self._book.step
        try:
            with self._unit():
                self._store.hold()
                self._catch_up()
                caught_up = self._book.step
                result = action()
        except BaseException as error:
            self._told.drop()
            if not isinstance(error, MarketError) or self._book.step != caught_up:
                self._reload()
            raise
        self._told.release()
        return result

    def _catch_up(self) -> None:
        """Apply the steps other bid managers on the journal appended since this book's last.

        Their writers staged those steps' twin states in the same units of work, so
        nothing is queued for the twins here.
        """
        for entry in self._store.entries(after_step=self._book.step):
            self._book.apply(entry)

    def _commit(self, command: Command) -> JournalEntry | None:
        """Apply a command to the book, journal its entry, hand the changes to the twins
        (inside the step's unit: the entry and its order twins' states commit together)."""
        entry = command(self._book, self._clock.now_ms())
        if entry is None:
            return None
        self._store.append(entry)
        if self._twins is not None:
            self._pending.extend(self._book.changes(entry))
            self.sync_twins()
        return entry

    def _reload(self) -> None:
        """Rebuild the book, and the queue of twin changes, from what is durable.

        The failed step may or may not have reached the store (a commit can succeed
        and still report an error); the journal decides, and its changes reach the
        twins like any other.
        """
        self._pending = []
        self._book = self._load()
        self.sync_twins()

    def _load(self) -> OrderBook:
        """Replay the journal into a fresh book; queue the twin changes the recorder lacks."""
        book = OrderBook(self._policy)
        twins = self._twins
        through = twins.recorded_through() if twins is not None else 0
        for entry in self._store.entries():
            book.apply(entry)
            if twins is not None and entry.step > through:
                self._pending.extend(book.changes(entry))
        return book

    def _replay_submission(self, step: int, spec: NewOrder, key: str) -> Submission:
        entry = self._store.entry(step)
        accepted = () if entry is None else entry.accepted()
        if entry is None or not accepted or accepted[0].spec != spec:
            raise IdempotencyConflict(spec.owner, key)
        return Submission(self._book.order(accepted[0].id), entry.matches(), replayed=True)

    def _replay_confirmation(
        self, step: int, order_ids: set[str], key: str, participant: str
    ) -> Match:
        entry = self._store.entry(step)
        matches = () if entry is None else entry.matches()
        if not matches or {matches[0].offer_id, matches[0].request_id} != order_ids:
            raise IdempotencyConflict(participant, key)
        return matches[0]
