"""The live event stream: in-process fan-out to async subscribers (the API's SSE/WebSocket).

Live means lossy by design: nothing is stored, and a subscriber that falls
``capacity`` events behind is ended rather than allowed to grow memory without
bound; it reconnects and catches up from the marketplace's own queries. The
same contract as :class:`plaza.node.events.EventHub`, for marketplace events.
"""

from __future__ import annotations

import asyncio
import threading

from plaza.notify.model import Event, EventQuery

__all__ = ["EventStream", "StreamSubscription"]


class StreamSubscription:
    """An async iterator of matching events, ended by :meth:`close` or on overflow."""

    def __init__(self, stream: EventStream, query: EventQuery, capacity: int) -> None:
        self._stream = stream
        self.query = query
        self._capacity = capacity
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()  # the end marker always fits
        self._ended = False
        self.overflowed = False

    def offer(self, event: Event) -> None:
        """Hand over an event from any thread."""
        self._loop.call_soon_threadsafe(self._put, event)

    def _put(self, event: Event | None) -> None:
        if self._ended:
            return
        if event is not None and self._queue.qsize() >= self._capacity:
            self.overflowed = True
            event = None
        if event is None:
            self._ended = True
            self._stream.unsubscribe(self)
        self._queue.put_nowait(event)

    def close(self) -> None:
        """End the subscription; safe to call more than once and from any thread."""
        self._stream.unsubscribe(self)
        try:
            self._loop.call_soon_threadsafe(self._put, None)
        except RuntimeError:  # the loop is closed: nobody is left to tell
            self._ended = True

    def __aiter__(self) -> StreamSubscription:
        return self

    async def __anext__(self) -> Event:
        event = await self._queue.get()
        if event is None:
            raise StopAsyncIteration
        return event


class EventStream:
    """Fans published events out to the subscriptions whose query matches."""

    def __init__(self, *, capacity: int = 1_000) -> None:
        self._capacity = capacity
        self._subscriptions: set[StreamSubscription] = set()
        self._lock = threading.Lock()

    def subscribe(self, query: EventQuery | None = None) -> StreamSubscription:
        """Subscribe from inside a running event loop."""
        subscription = StreamSubscription(self, query or EventQuery(), self._capacity)
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: StreamSubscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    def publish(self, event: Event) -> None:
        with self._lock:
            targets = [s for s in self._subscriptions if s.query.matches(event)]
        for subscription in targets:
            try:
                subscription.offer(event)
            except RuntimeError:  # its loop has closed: the subscriber is gone
                self.unsubscribe(subscription)

    def statistics(self) -> dict[str, int]:
        with self._lock:
            return {"subscribers": len(self._subscriptions)}
