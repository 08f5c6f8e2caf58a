"""The live event stream: in-process fan-out to async subscribers (the API's SSE/WebSocket).

Live means lossy by design: nothing is stored, and a subscriber that falls
``capacity`` events behind is ended rather than allowed to grow memory without
bound; it reconnects and catches up from the marketplace's own queries. The
same mechanism as :class:`plaza.node.events.EventHub` (:mod:`plaza.fanout`).
"""

from __future__ import annotations

from plaza.fanout import FanOut, FanOutSubscription
from plaza.notify.model import Event, EventQuery

__all__ = ["EventStream", "StreamSubscription"]


StreamSubscription = FanOutSubscription[Event]


class EventStream:
    """Fans published events out to the subscriptions whose query matches."""

    def __init__(self, *, capacity: int = 1_000) -> None:
        self._fanout: FanOut[Event] = FanOut(capacity=capacity)

    def subscribe(self, query: EventQuery | None = None) -> StreamSubscription:
        """Subscribe from inside a running event loop."""
        return self._fanout.subscribe((query or EventQuery()).matches)

    def publish(self, event: Event) -> None:
        self._fanout.publish(event)

    def statistics(self) -> dict[str, int]:
        return self._fanout.statistics()
