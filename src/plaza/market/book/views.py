"""Read-side values of the book: statistics, searches, suggestions and per-order changes.

None of these change the book. They live apart from :mod:`plaza.market.book.order_book` so
that the state machine stays small and the questions asked of it stay together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from plaza.market.book.journal import (
    ChangeReason,
    JournalEntry,
    OrderAccepted,
    OrderChange,
    OrderMatched,
    OrderStatusChanged,
)
from plaza.market.matching import Resting, haversine_km
from plaza.market.model import QUALITY, Attributes, Location, Order, OrderStatus, Side

__all__ = ["BookStatistics", "OrderQuery", "Suggestion", "changes_of", "search"]


@dataclass(frozen=True, slots=True)
class BookStatistics:
    """How big the book is; what ``statistics()`` of the bid manager reports."""

    step: int
    orders: int
    active_offers: int
    active_requests: int
    disabled: int
    matches: int
    kinds: int
    policy: str


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A counterpart for a participant's order and what confirming it would trade."""

    order: Order
    quantity: int
    unit_price: int
    distance_km: float | None


@dataclass(frozen=True, slots=True)
class OrderQuery:
    """A manual search of active orders; every given field narrows it."""

    kind: str | None = None
    side: Side | None = None
    min_price: int | None = None
    max_price: int | None = None
    near: Location | None = None
    radius_km: float | None = None
    attributes: Attributes = ()
    min_quality: int | None = None
    exclude_owner: str | None = None
    limit: int = 100


def search(active: Iterable[Resting], query: OrderQuery) -> list[Order]:
    """Active orders that fit ``query``, best price first, then oldest."""
    found = sorted(
        (entry for entry in active if _fits(entry, query)),
        key=lambda entry: (entry.kind, not entry.is_offer, entry.key, entry.priority),
    )
    return [entry.snapshot() for entry in found[: max(query.limit, 0)]]


def _fits(entry: Resting, query: OrderQuery) -> bool:
    order = entry.order
    has = dict(order.attributes)
    quality = has.get(QUALITY)
    checks = (
        query.kind is None or entry.kind == query.kind,
        query.side is None or order.side is query.side,
        query.min_price is None or entry.price >= query.min_price,
        query.max_price is None or entry.price <= query.max_price,
        query.exclude_owner is None or entry.owner != query.exclude_owner,
        all(has.get(name) == value for name, value in query.attributes),
        query.min_quality is None or (type(quality) is int and quality >= query.min_quality),
    )
    if not all(checks):
        return False
    if query.near is None or query.radius_km is None:
        return True
    return order.location is not None and (
        haversine_km(query.near, order.location) <= query.radius_km
    )


def changes_of(entry: JournalEntry, lookup: Callable[[str], Order]) -> list[OrderChange]:
    """One change per order ``entry`` touched, in first-touched order, with its state now."""
    reasons: dict[str, ChangeReason] = {}
    matches: dict[str, list[str]] = {}
    for event in entry.events:
        if isinstance(event, OrderAccepted):
            reasons[event.order.id] = ChangeReason.ACCEPTED
        elif isinstance(event, OrderStatusChanged):
            reason = _STATUS_REASONS[event.status]
            if reasons.get(event.order_id) is not ChangeReason.ACCEPTED:
                reasons[event.order_id] = reason
        elif isinstance(event, OrderMatched):
            for order_id in (event.match.offer_id, event.match.request_id):
                reasons.setdefault(order_id, ChangeReason.MATCHED)
                matches.setdefault(order_id, []).append(event.match.id)
    return [
        OrderChange(
            entry.step, entry.at_ms, lookup(order_id), reason, tuple(matches.get(order_id, ()))
        )
        for order_id, reason in reasons.items()
    ]


_STATUS_REASONS = {
    OrderStatus.ACTIVE: ChangeReason.ENABLED,
    OrderStatus.DISABLED: ChangeReason.DISABLED,
    OrderStatus.REMOVED: ChangeReason.REMOVED,
    OrderStatus.EXPIRED: ChangeReason.EXPIRED,
    OrderStatus.FILLED: ChangeReason.MATCHED,
}
