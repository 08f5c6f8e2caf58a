"""The book's working state: mutable entries in price levels, and the fills policies make.

These are internal to matching and the book; callers see :class:`~plaza.market.model.Order`
snapshots. Entries are plain slotted objects, not frozen dataclasses, because
matching touches them millions of times: creating and updating them is the hot
path the benchmark measures against a minimal heap book.

Cancellation is lazy: a dead entry (filled, removed, disabled, expired) stays in
its level's deque with ``live`` false until it reaches the head, or until the
side has doubled in size since it was last compacted.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterator
from dataclasses import replace

from plaza.market.model import NO_REQUIREMENTS, Order, OrderStatus, Side

__all__ = ["BookSide", "Fill", "Resting"]

_COMPACT_FLOOR = 1024
_OFFER = Side.OFFER
_ACTIVE = OrderStatus.ACTIVE


class Resting:
    """One order's live state on the book; ``order`` holds its fixed facts.

    ``key`` orders the side best first: the price for offers (cheapest first),
    minus the price for requests (dearest first). Enabling a disabled order
    creates a new entry, so a dead entry never comes back to life in its old place.
    """

    __slots__ = (
        "constrained",
        "id",
        "is_offer",
        "key",
        "kind",
        "live",
        "order",
        "owner",
        "price",
        "priority",
        "remaining",
        "status",
        "valid_from",
        "valid_until",
    )

    def __init__(self, order: Order) -> None:
        self.order = order
        self.id = order.id
        self.kind = order.kind
        self.is_offer = is_offer = order.side is _OFFER
        self.owner = order.owner
        self.price = price = order.unit_price
        self.key = price if is_offer else -price
        self.remaining = order.remaining
        self.priority = order.priority
        self.valid_from = order.valid_from_ms
        self.valid_until = order.valid_until_ms
        requirements = order.requirements
        self.constrained = requirements is not NO_REQUIREMENTS and not requirements.is_empty
        self.status = status = order.status
        self.live = status is _ACTIVE

    def snapshot(self) -> Order:
        """The order as it stands now."""
        order = self.order
        if (order.remaining, order.status, order.priority) == (
            self.remaining,
            self.status,
            self.priority,
        ):
            return order
        return replace(order, remaining=self.remaining, status=self.status, priority=self.priority)

    def __repr__(self) -> str:
        return f"<Resting {self.id} {self.price}x{self.remaining} {self.status}>"


#: ``(offer, request, quantity, unit_price)``: ``quantity`` of the offer sold to the request
#: at ``unit_price``, both entries already updated. A plain tuple: fills are made in the
#: hot loop, where even a named tuple's constructor costs a tenth of an operation.
Fill = tuple[Resting, Resting, int, int]


class BookSide:
    """One side of one kind's book: price levels (FIFO deques) under a heap of their keys.

    The heap may hold keys of levels already gone (dropped lazily when they reach
    the top); ``in_heap`` keeps a key from being pushed twice while it is there.
    """

    __slots__ = ("_appended", "_threshold", "heap", "in_heap", "levels")

    def __init__(self) -> None:
        self.levels: dict[int, deque[Resting]] = {}
        self.heap: list[int] = []
        self.in_heap: set[int] = set()
        self._appended = 0
        self._threshold = _COMPACT_FLOOR

    def rest(self, entry: Resting) -> None:
        """Queue ``entry`` at the back of its price level."""
        level = self.levels.get(entry.key)
        if level is None:
            level = self.levels[entry.key] = deque()
            if entry.key not in self.in_heap:
                heapq.heappush(self.heap, entry.key)
                self.in_heap.add(entry.key)
        level.append(entry)
        self._appended += 1
        if self._appended > self._threshold:
            self.compact()

    def drop_top(self) -> None:
        """Pop the heap's top key (its level is empty or gone)."""
        key = heapq.heappop(self.heap)
        self.in_heap.discard(key)
        self.levels.pop(key, None)

    def sorted_keys(self, limit: int | None = None) -> list[int]:
        """Keys of existing levels, best first, up to and including ``limit``."""
        keys = self.levels if limit is None else (k for k in self.levels if k <= limit)
        return sorted(keys)

    def in_priority(self, limit: int | None = None) -> Iterator[Resting]:
        """Live entries in price-time priority (dead ones skipped, not removed)."""
        levels = self.levels
        for key in self.sorted_keys(limit):
            for entry in levels[key]:
                if entry.live:
                    yield entry

    def tidy(self, key: int) -> None:
        """Pop dead entries off the head of a level; forget the level when it empties."""
        level = self.levels.get(key)
        if level is None:
            return
        while level and not level[0].live:
            level.popleft()
        if not level:
            del self.levels[key]

    def compact(self) -> None:
        """Drop every dead entry and level: amortised O(1), as it runs when the side doubles."""
        levels = {}
        for key, level in self.levels.items():
            live = deque(entry for entry in level if entry.live)
            if live:
                levels[key] = live
        self.levels = levels
        self.heap = sorted(levels)
        self.in_heap = set(levels)
        size = sum(len(level) for level in levels.values())
        self._appended = size
        self._threshold = 2 * size + _COMPACT_FLOOR
