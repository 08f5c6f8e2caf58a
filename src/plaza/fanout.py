"""Bounded fan-out of items to async subscribers, from any thread.

Publishers (the tangle under its lock, the marketplace's workers) run on
threads; each subscriber reads in its own asyncio loop. Live means lossy by
design: nothing is stored, and a subscriber that falls ``capacity`` items
behind is ended rather than allowed to grow memory without bound; it
reconnects and catches up from queries. The node's ledger events and the
marketplace's notifications both stream through this one mechanism.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["FanOut", "FanOutSubscription"]

T = TypeVar("T")


def _everything(_item: object) -> bool:
    return True


class FanOutSubscription(Generic[T]):
    """An async iterator of matching items, ended by :meth:`close` or on overflow.

    The queue itself is unbounded so that the end marker always fits; the
    ``capacity`` bound is enforced here, by ending a subscriber that lags.
    """

    def __init__(self, fanout: FanOut[T], matches: Callable[[T], bool], capacity: int) -> None:
        self._fanout = fanout
        self.matches = matches
        self._capacity = capacity
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[T | None] = asyncio.Queue()
        self._ended = False
        self.overflowed = False

    def offer(self, item: T) -> None:
        """Hand over an item from any thread."""
        self._loop.call_soon_threadsafe(self._put, item)

    def _put(self, item: T | None) -> None:
        if self._ended:
            return
        if item is not None and self._queue.qsize() >= self._capacity:
            self.overflowed = True
            item = None
        if item is None:
            self._ended = True
            self._fanout.unsubscribe(self)
        self._queue.put_nowait(item)

    def close(self) -> None:
        """End the subscription; safe to call more than once and from any thread."""
        self._fanout.unsubscribe(self)
        try:
            self._loop.call_soon_threadsafe(self._put, None)
        except RuntimeError:  # the loop is closed: nobody is left to tell
            self._ended = True

    def __aiter__(self) -> FanOutSubscription[T]:
        return self

    async def __anext__(self) -> T:
        item = await self._queue.get()
        if item is None:
            raise StopAsyncIteration
        return item


class FanOut(Generic[T]):
    """Hands every published item to the subscriptions whose predicate accepts it."""

    def __init__(self, *, capacity: int) -> None:
        self._capacity = capacity
        self._subscriptions: set[FanOutSubscription[T]] = set()
        self._lock = threading.Lock()

    def subscribe(self, matches: Callable[[T], bool] = _everything) -> FanOutSubscription[T]:
        """Subscribe from inside a running event loop."""
        subscription = FanOutSubscription(self, matches, self._capacity)
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: FanOutSubscription[T]) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    def publish(self, item: T) -> None:
        with self._lock:
            targets = [s for s in self._subscriptions if s.matches(item)]
        for subscription in targets:
            try:
                subscription.offer(item)
            except RuntimeError:  # its loop has closed: the subscriber is gone
                self.unsubscribe(subscription)

    def statistics(self) -> dict[str, int]:
        with self._lock:
            return {"subscribers": len(self._subscriptions)}
