"""What the book journals: one entry per step, holding the events the step caused.

A *step* is one command that changed the book: a submission with the matches it
made, a cancellation, a clearing. Its :class:`JournalEntry` is written to the
:class:`~plaza.market.book.ports.BookStore` in one atomic write, so a crash leaves
either the whole step or none of it.

The journal records outcomes, not commands: replaying it applies the recorded
matches and never runs matching again. A changed or retuned policy therefore
cannot rewrite history on restart, and a rebuilt book equals the book that
crashed, down to the order of each price level.

From entries the book derives :class:`OrderChange` values, one per order a step
touched, which the digital-twin recorder publishes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from plaza.market.model import Match, Order, OrderStatus

__all__ = [
    "BookEvent",
    "ChangeReason",
    "JournalEntry",
    "OrderAccepted",
    "OrderChange",
    "OrderMatched",
    "OrderStatusChanged",
]


@dataclass(frozen=True, slots=True)
class OrderAccepted:
    """An order joined the book: active, nothing filled, with its id and priority."""

    order: Order


@dataclass(frozen=True, slots=True)
class OrderMatched:
    """A match between two orders; both lose ``match.quantity`` of what remains."""

    match: Match


@dataclass(frozen=True, slots=True)
class OrderStatusChanged:
    """An order was disabled, enabled, removed or expired.

    ``priority`` is set when the order became active again: it re-enters the back
    of its price level, so it cannot keep its place while it was unavailable.
    """

    order_id: str
    status: OrderStatus
    priority: int | None = None


BookEvent = OrderAccepted | OrderMatched | OrderStatusChanged


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One step: its number (1, 2, ... without gaps), when, what happened, and who asked.

    ``participant`` and ``idempotency_key`` are set for a command sent with a key;
    a retry with the same pair returns this step's outcome instead of a new one.
    """

    step: int
    at_ms: int
    events: tuple[BookEvent, ...]
    participant: str | None = None
    idempotency_key: str | None = None

    def matches(self) -> tuple[Match, ...]:
        return tuple(e.match for e in self.events if isinstance(e, OrderMatched))

    def accepted(self) -> tuple[Order, ...]:
        return tuple(e.order for e in self.events if isinstance(e, OrderAccepted))


class ChangeReason(enum.StrEnum):
    ACCEPTED = "accepted"
    MATCHED = "matched"
    DISABLED = "disabled"
    ENABLED = "enabled"
    REMOVED = "removed"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class OrderChange:
    """An order's new state after a step, why it changed, and the matches that changed it.

    One per order per step: the states an order's digital twin records are the
    ones the outside world could see, and a step is atomic.
    """

    step: int
    at_ms: int
    order: Order
    reason: ChangeReason
    match_ids: tuple[str, ...] = ()
