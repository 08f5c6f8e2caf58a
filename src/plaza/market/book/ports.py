"""What the bid manager needs for its book: a journal and the orders' twins.

The assets' ports are :mod:`plaza.market.assets.ports`; time is a
:class:`~plaza.clock.Clock`. Adapters: :mod:`plaza.market.book.memory` (in memory),
:mod:`plaza.market.sql.book_store` (the market's database) and
:mod:`plaza.market.book.sqlite` (:class:`BookStore` on one SQLite file). The
SQLAlchemy adapter for PostgreSQL implements the same :class:`BookStore`; the
contract suite ``tests/contract/test_market_book_store.py`` is written to
run against each adapter.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from plaza.market.book.journal import JournalEntry, OrderChange

__all__ = ["BookStore", "OrderTwins"]


class BookStore(Protocol):
    """The book's durable journal: append-only, one entry per step, in step order.

    The book is rebuilt by replaying every entry, so whatever this store returns
    is the book. Several bid managers (the worker processes of one marketplace) may
    share a store: each runs a step as one unit of work that first holds the
    journal (:meth:`hold`), reads the steps the others appended, then appends its own. The step
    numbering makes a writer that skipped the hold fail loudly instead of forking
    the book.
    """

    def hold(self) -> None:
        """Make the caller's unit of work the journal's only writer until the unit ends.

        The hold ends with the unit's transaction, and a holder that dies takes it
        with its connection, so no writer ever waits on a dead one. Adapters that
        serve one bid manager (memory, a file of its own) need do nothing.
        """
        ...

    def append(self, entry: JournalEntry) -> None:
        """Write one step atomically: after it returns the step survives a crash.

        Raise :class:`~plaza.market.errors.JournalConflict`, writing nothing, unless
        ``entry.step`` is :meth:`last_step` + 1 and its (participant, idempotency
        key), when set, is not in the journal yet.
        """
        ...

    def entries(self, *, after_step: int = 0) -> Iterator[JournalEntry]:
        """Every entry with a step above ``after_step``, in step order."""
        ...

    def entry(self, step: int) -> JournalEntry | None:
        """The entry of one step (a retried command's original outcome), or None."""
        ...

    def last_step(self) -> int:
        """The highest step written, 0 for an empty journal."""
        ...

    def close(self) -> None:
        """Release files and connections; the store is unusable afterwards."""
        ...


class OrderTwins(Protocol):
    """Records each order's state changes on its digital twin (a channel on the ledger).

    The bid manager calls :meth:`record` after a step is journaled, and on start
    re-sends the changes of every step after :meth:`recorded_through`, so a crash
    between journal and twin loses no change (at-least-once; adapters deduplicate).
    """

    def record(self, changes: Sequence[OrderChange]) -> None:
        """Record the changes of whole steps, in step order.

        Changes of a step already recorded are ignored. Raise
        :class:`~plaza.market.errors.TwinUnavailable` when nothing can be recorded
        now (the ledger is unreachable); the bid manager retries later.
        """
        ...

    def recorded_through(self) -> int:
        """The last step whose changes are all recorded, 0 for none."""
        ...
