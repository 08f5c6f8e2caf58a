"""In-memory adapters of the book's ports: for tests, benchmarks and the embedded demo.

They keep the ports' promises within one process (atomic appends, step order,
unique idempotency keys, deduplicated twin records) and lose everything when
the process ends. A "restart" in tests is a new bid manager over the same store.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from plaza.market.book.journal import JournalEntry, OrderChange
from plaza.market.errors import JournalConflict, TwinUnavailable

__all__ = ["MemoryBookStore", "MemoryOrderTwins"]


class MemoryBookStore:
    """The journal as a list; :meth:`append` checks what a database constraint would."""

    def __init__(self) -> None:
        self._entries: list[JournalEntry] = []
        self._keys: set[tuple[str, str]] = set()
        self.closed = False

    def hold(self) -> None:
        """Nothing to do: one bid manager owns this journal, and its own lock serialises."""

    def append(self, entry: JournalEntry) -> None:
        if entry.step != len(self._entries) + 1:
            raise JournalConflict(entry.step, f"the journal is at step {len(self._entries)}")
        key = _key(entry)
        if key is not None and key in self._keys:
            raise JournalConflict(entry.step, f"idempotency key {key[1]!r} already used")
        self._entries.append(entry)
        if key is not None:
            self._keys.add(key)

    def entries(self, *, after_step: int = 0) -> Iterator[JournalEntry]:
        return iter(self._entries[max(after_step, 0) :])

    def entry(self, step: int) -> JournalEntry | None:
        return self._entries[step - 1] if 0 < step <= len(self._entries) else None

    def last_step(self) -> int:
        return len(self._entries)

    def close(self) -> None:
        self.closed = True


class MemoryOrderTwins:
    """Records changes in a list. Set ``available`` false to act like an unreachable ledger."""

    def __init__(self) -> None:
        self.changes: list[OrderChange] = []
        self.available = True
        self._through = 0

    def record(self, changes: Sequence[OrderChange]) -> None:
        if not self.available:
            raise TwinUnavailable("the in-memory twin recorder is switched off")
        fresh = [change for change in changes if change.step > self._through]
        self.changes.extend(fresh)
        if fresh:
            self._through = max(change.step for change in fresh)

    def recorded_through(self) -> int:
        return self._through

    def history(self, order_id: str) -> list[OrderChange]:
        """The states one order's twin went through, oldest first."""
        return [change for change in self.changes if change.order.id == order_id]


def _key(entry: JournalEntry) -> tuple[str, str] | None:
    if entry.participant is None or entry.idempotency_key is None:
        return None
    return (entry.participant, entry.idempotency_key)
