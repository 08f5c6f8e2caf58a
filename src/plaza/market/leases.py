"""Leases: the marketplace's chores done by one of its worker processes at a time.

Matching needs no lease: every step holds the journal for itself
(:meth:`~plaza.market.book.ports.BookStore.hold`). Two chores are different: the twin
outbox's publisher (two would write one twin's channel at once and fork it) and the
periodic round (expiry, clearing, payment confirmations, deadlines: harmless twice,
but twice the work). Each runs only while its process holds the marketplace's
:class:`Lease`. The holder keeps it until it dies; then another worker takes it at its
next try, so the chores move on with no one to hand them over.

Adapters: :class:`SoleLease` (a marketplace of one process: always held) and
:class:`~plaza.market.sql.lease.SqlLease` (a session advisory lock on PostgreSQL).
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["Lease", "SoleLease"]


class Lease(Protocol):
    def held(self) -> bool:
        """Whether this process holds the lease now, trying to take it if it does not.

        Cheap enough to ask before every round of a chore; safe from several threads.
        """
        ...

    @property
    def generation(self) -> int:
        """How many times this process took the lease: a chore that keeps state of its
        own (the publisher's cached channels) drops it when this changes, because
        another process may have done the chore in between."""
        ...

    def close(self) -> None:
        """Give the lease up (the next worker to try takes it)."""
        ...


class SoleLease:
    """The lease of a marketplace that runs as one process: always held, taken once."""

    generation = 1

    def held(self) -> bool:
        return True

    def close(self) -> None:
        """Nothing to give up."""
