"""Fan-out of ledger events to live subscribers (the API's event stream, later peers).

The tangle publishes from whatever thread holds its lock; each subscriber reads
in its own asyncio loop. A subscriber that falls ``capacity`` events behind is
closed rather than allowed to grow memory without bound: it reconnects and
catches up from the lookups. Remote subscribers are capped per client host and
in total, so one client cannot open enough idle streams to slow ingest or
exhaust the node's connections.
"""

from __future__ import annotations

from dataclasses import dataclass

from plaza.fanout import FanOut, FanOutFull, FanOutSubscription
from plaza.ledger.events import LedgerEvent, MessageAttached, MessageConfirmed, MilestoneApplied
from plaza.node.errors import SubscriberLimitReached

__all__ = ["EventFilter", "EventHub", "Subscription"]


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events a subscriber wants; an empty field matches everything."""

    kinds: frozenset[str] = frozenset()
    tags: frozenset[bytes] = frozenset()  # any of these (a channel reader follows several)
    address: bytes | None = None

    def matches(self, event: LedgerEvent) -> bool:
        if not self.kinds and not self.tags and self.address is None:
            return True  # the common stream: everything, checked per event per subscriber
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


Subscription = FanOutSubscription[LedgerEvent]


class EventHub:
    """The tangle's :class:`EventSink`: ledger events fanned out to filtered subscribers."""

    def __init__(
        self, *, capacity: int = 10_000, per_client: int | None = None, total: int | None = None
    ) -> None:
        self._fanout: FanOut[LedgerEvent] = FanOut(
            capacity=capacity, per_client=per_client, total=total
        )

    def subscribe(
        self, event_filter: EventFilter | None = None, *, client: str | None = None
    ) -> Subscription:
        """Subscribe from inside a running event loop; a remote ``client`` (its host) counts
        against the caps, the node's own readers (``None``) against none.

        Raises :class:`SubscriberLimitReached` when the client's or the node's cap is full.
        """
        try:
            return self._fanout.subscribe((event_filter or EventFilter()).matches, client)
        except FanOutFull as full:
            raise SubscriberLimitReached(full.limit, full.scope) from None

    def publish(self, event: LedgerEvent) -> None:
        self._fanout.publish(event)

    def statistics(self) -> dict[str, int]:
        return self._fanout.statistics()
