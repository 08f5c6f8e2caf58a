"""Fan-out of ledger events to live subscribers (the API's event stream, later peers).

The tangle publishes from whatever thread holds its lock; each subscriber reads
in its own asyncio loop. A subscriber that falls ``capacity`` events behind is
closed rather than allowed to grow memory without bound: it reconnects and
catches up from the lookups.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

from plaza.ledger.events import LedgerEvent, MessageAttached, MessageConfirmed, MilestoneApplied

__all__ = ["EventFilter", "EventHub", "Subscription"]


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events a subscriber wants; an empty field matches everything."""

    kinds: frozenset[str] = frozenset()
    tags: frozenset[bytes] = frozenset()  # any of these (a channel reader follows several)
    address: bytes | None = None

    def matches(self, event: LedgerEvent) -> bool:
        if self.kinds and event_kind(event) not in self.kinds:
            return False
        if isinstance(event, MilestoneApplied):
            return not self.tags and self.address is None
        tag = event.message.tag if isinstance(event, MessageAttached) else event.tag
        if self.tags and tag not in self.tags:
            return False
        return self.address is None or self.address in event.addresses


def event_kind(event: LedgerEvent) -> str:
    match event:
        case MessageAttached():
            return "message"
        case MessageConfirmed():
            return "confirmed"
        case MilestoneApplied():
            return "milestone"


class Subscription:
    """An async iterator of matching events, ended by :meth:`close` or on overflow.

    The queue itself is unbounded so that the end marker always fits; the
    ``capacity`` bound is enforced here, by ending a subscriber that lags.
    """

    def __init__(self, hub: EventHub, event_filter: EventFilter, capacity: int) -> None:
        self._hub = hub
        self.filter = event_filter
        self._capacity = capacity
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[LedgerEvent | None] = asyncio.Queue()
        self._ended = False
        self.overflowed = False

    def offer(self, event: LedgerEvent) -> None:
        """Hand over an event from any thread."""
        self._loop.call_soon_threadsafe(self._put, event)

    def _put(self, event: LedgerEvent | None) -> None:
        if self._ended:
            return
        if event is not None and self._queue.qsize() >= self._capacity:
            self.overflowed = True
            event = None
        if event is None:
            self._ended = True
            self._hub.unsubscribe(self)
        self._queue.put_nowait(event)

    def close(self) -> None:
        """End the subscription; safe to call more than once and from any thread."""
        self._hub.unsubscribe(self)
        try:
            self._loop.call_soon_threadsafe(self._put, None)
        except RuntimeError:  # the loop is closed: nobody is left to tell
            self._ended = True

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> LedgerEvent:
        event = await self._queue.get()
        if event is None:
            raise StopAsyncIteration
        return event


class EventHub:
    """The tangle's :class:`EventSink`, fanning events out to subscriptions."""

    def __init__(self, *, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._subscriptions: set[Subscription] = set()
        self._lock = threading.Lock()

    def subscribe(self, event_filter: EventFilter | None = None) -> Subscription:
        """Subscribe from inside a running event loop."""
        subscription = Subscription(self, event_filter or EventFilter(), self._capacity)
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    def publish(self, event: LedgerEvent) -> None:
        with self._lock:
            targets = [s for s in self._subscriptions if s.filter.matches(event)]
        for subscription in targets:
            try:
                subscription.offer(event)
            except RuntimeError:  # its loop has closed: the subscriber is gone
                self.unsubscribe(subscription)

    def statistics(self) -> dict[str, int]:
        return {"subscribers": len(self._subscriptions)}
