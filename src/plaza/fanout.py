"""Bounded fan-out of items to async subscribers, from any thread.

Publishers (the tangle under its lock, the marketplace's workers) run on
threads; each subscriber reads in its own asyncio loop. Live means lossy by
design: nothing is stored, and a subscriber that falls ``capacity`` items
behind is ended rather than allowed to grow memory without bound; it
reconnects and catches up from queries. The node's ledger events and the
marketplace's notifications both stream through this one mechanism.

Publishing must not slow the publisher down however many subscribers there
are, or whether they read: an item is posted once to each subscribers' loop
(its mailbox wakes the loop once for everything posted in the next
``GATHER_S``), and the loop hands the batch on to its subscribers. How many may subscribe at all is
capped per client and in total (:class:`FanOutFull`).
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter, deque
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

__all__ = ["FanOut", "FanOutFull", "FanOutSubscription"]

T = TypeVar("T")

#: A mailbox gathers what is published for this long before its loop hands it on: one
#: wake-up and one write per subscriber for a burst, not one per item (ingest publishes
#: hundreds of events a second; waking every stream for each cost ingest a third).
GATHER_S = 0.05

_Route = tuple[asyncio.AbstractEventLoop, bool]  # a loop, and whether its readers are remote


def _everything(_item: object) -> bool:
    return True


class FanOutFull(Exception):
    """No room for another subscriber: ``scope`` says whether of this client or in all."""

    def __init__(self, limit: int, scope: str) -> None:
        super().__init__(f"{limit} subscribers {scope} already; close one or retry later")
        self.limit = limit
        self.scope = scope


class FanOutSubscription(Generic[T]):
    """An async iterator of matching items, ended by :meth:`close` or on overflow.

    Items wait in a plain buffer, handed over a batch at a time by the loop's
    mailbox; the ``capacity`` bound is enforced here, by ending a subscriber that
    lags (the items it already holds are still read before the end).
    """

    def __init__(
        self, fanout: FanOut[T], matches: Callable[[T], bool], capacity: int, client: str | None
    ) -> None:
        self._fanout = fanout
        self.matches = matches
        self.client = client
        self._capacity = capacity
        self.loop = asyncio.get_running_loop()
        self.route: _Route = (self.loop, client is not None)  # remote readers are gathered
        self.since = 0  # items numbered up to this were published before it subscribed
        self._items: deque[T] = deque()
        self._wake = asyncio.Event()
        self._ended = False
        self.overflowed = False

    def _put_many(self, items: list[T]) -> None:
        """On the loop: take a batch, or end the subscription if it would lag too far."""
        if self._ended:
            return
        room = self._capacity - len(self._items)
        self._items.extend(items[:room] if len(items) > room else items)
        if len(items) > room:
            self.overflowed = True
            self._end()
        self._wake.set()

    def _end(self) -> None:
        self._ended = True
        self._fanout.unsubscribe(self)
        self._wake.set()

    def close(self) -> None:
        """End the subscription; safe to call more than once and from any thread."""
        self._fanout.unsubscribe(self)
        try:
            self.loop.call_soon_threadsafe(self._end)
        except RuntimeError:  # the loop is closed: nobody is left to tell
            self._ended = True

    def ready(self, most: int) -> list[T]:
        """Up to ``most`` items already here, without waiting."""
        items = self._items
        return [items.popleft() for _ in range(min(most, len(items)))]

    def __aiter__(self) -> FanOutSubscription[T]:
        return self

    async def __anext__(self) -> T:
        while not self._items:
            if self._ended:
                raise StopAsyncIteration
            self._wake.clear()
            await self._wake.wait()
        return self._items.popleft()


class _Mailbox(Generic[T]):
    """Items posted from any thread for one loop's subscribers; one wake-up per drain.

    The node's own readers (gossip, in-process followers) get each item at once;
    remote clients' streams get what ``GATHER_S`` gathered."""

    def __init__(self, fanout: FanOut[T], route: _Route) -> None:
        self._fanout = fanout
        self.route = route
        self.loop, gathered = route
        self._delay = GATHER_S if gathered else 0.0
        self._items: list[tuple[int, T]] = []
        self._lock = threading.Lock()
        self._scheduled = False

    def post(self, number: int, item: T) -> None:
        """Queue the ``number``-th published item; RuntimeError once the loop has closed."""
        with self._lock:
            self._items.append((number, item))
            if self._scheduled:
                return
            self._scheduled = True
        try:
            if self._delay:
                self.loop.call_soon_threadsafe(self.loop.call_later, self._delay, self._drain)
            else:
                self.loop.call_soon_threadsafe(self._drain)
        except RuntimeError:
            with self._lock:
                self._items.clear()
                self._scheduled = False
            raise

    def _drain(self) -> None:
        with self._lock:
            items, self._items = self._items, []
            self._scheduled = False
        if not items:
            return
        first = min(number for number, _ in items)  # threads may post out of turn
        batches: dict[Hashable, list[T]] = {}
        for subscription in self._fanout.subscriptions_on(self.route):
            batch = _batch_for(subscription, items, first, batches)
            if batch:
                subscription._put_many(batch)


def _batch_for(
    subscription: FanOutSubscription[T],
    items: list[tuple[int, T]],
    first: int,
    batches: dict[Hashable, list[T]],
) -> list[T]:
    """What ``subscription`` takes of ``items``: each filter is run once over a drain, not
    once per subscriber, so many streams of the same events cost the loop one pass. A
    subscriber newer than some of the items, or whose filter is no key, gets its own."""
    since, matches = subscription.since, subscription.matches
    key = _filter_key(matches) if since < first else None
    if key is None:
        return [item for number, item in items if number > since and matches(item)]
    batch = batches.get(key)
    if batch is None:
        batch = batches[key] = [item for _, item in items if matches(item)]
    return batch


def _filter_key(matches: Callable[[Any], bool]) -> Hashable | None:
    """One key for equal filters' bound ``matches`` (every stream parses a filter of its
    own, and bound methods compare their objects by identity); None if it cannot be one."""
    owner = getattr(matches, "__self__", None)
    key = matches if owner is None else (getattr(matches, "__func__", matches), owner)
    try:
        hash(key)
    except TypeError:
        return None
    return key


class FanOut(Generic[T]):
    """Hands every published item to the subscriptions whose predicate accepts it."""

    def __init__(
        self, *, capacity: int, per_client: int | None = None, total: int | None = None
    ) -> None:
        self._capacity = capacity
        self._per_client = per_client
        self._total = total
        self._subscriptions: dict[_Route, set[FanOutSubscription[T]]] = {}
        self._mailboxes: dict[_Route, _Mailbox[T]] = {}
        self._clients: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.published = 0

    def subscribe(
        self, matches: Callable[[T], bool] = _everything, client: str | None = None
    ) -> FanOutSubscription[T]:
        """Subscribe from inside a running event loop; ``client`` is counted against its cap."""
        subscription = FanOutSubscription(self, matches, self._capacity, client)
        with self._lock:
            self._check_room(client)
            subscription.since = self.published
            route = subscription.route
            self._subscriptions.setdefault(route, set()).add(subscription)
            if route not in self._mailboxes:
                self._mailboxes[route] = _Mailbox(self, route)
            if client is not None:
                self._clients[client] += 1
        return subscription

    def _check_room(self, client: str | None) -> None:
        count = sum(len(subscriptions) for subscriptions in self._subscriptions.values())
        if self._total is not None and count >= self._total:
            raise FanOutFull(self._total, "in all")
        per_client = self._per_client
        if client is not None and per_client is not None and self._clients[client] >= per_client:
            raise FanOutFull(per_client, "from this client")

    def unsubscribe(self, subscription: FanOutSubscription[T]) -> None:
        with self._lock:
            subscriptions = self._subscriptions.get(subscription.route)
            if subscriptions is None or subscription not in subscriptions:
                return
            subscriptions.discard(subscription)
            if subscription.client is not None:
                self._clients[subscription.client] -= 1
                if not self._clients[subscription.client]:
                    del self._clients[subscription.client]
            if not subscriptions:
                del self._subscriptions[subscription.route]
                del self._mailboxes[subscription.route]

    def subscriptions_on(self, route: _Route) -> list[FanOutSubscription[T]]:
        with self._lock:
            return list(self._subscriptions.get(route, ()))

    def publish(self, item: T) -> None:
        """Post ``item`` to each subscribed loop: the cost does not grow with subscribers."""
        with self._lock:
            self.published += 1
            number = self.published
            mailboxes = list(self._mailboxes.values())
        for mailbox in mailboxes:
            try:
                mailbox.post(number, item)
            except RuntimeError:  # its loop has closed: its subscribers are gone
                for subscription in self.subscriptions_on(mailbox.route):
                    self.unsubscribe(subscription)

    def statistics(self) -> dict[str, int]:
        with self._lock:
            return {"subscribers": sum(len(s) for s in self._subscriptions.values())}
