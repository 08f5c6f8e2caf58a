"""Units of work: a state change and the twin states it causes, committed together.

A use case that writes a record and stages what it causes (the twin outbox's rows,
:mod:`plaza.market.twins.outbox`) runs both inside one unit: with the SQL stores
(:class:`~plaza.market.sql.engine.SqlUnitOfWork`) every store call on the same database
in that thread joins one transaction, committed when the unit ends and rolled back if it
raises; in memory (and for stores on no shared database) a unit is nothing at all.
Only database writes belong in a unit: what talks to the outside world (notifications,
a vertical's hooks, the ledger) runs after it.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Protocol

__all__ = ["UnitOfWork", "no_unit"]


class UnitOfWork(Protocol):
    def __call__(self) -> AbstractContextManager[object]:
        """A context in which the stores' writes commit together, or not at all."""
        ...


def no_unit() -> AbstractContextManager[object]:
    """Each store call its own transaction, as without a unit."""
    return nullcontext()
