"""The marketplace's :class:`~plaza.market.leases.Lease` in its database.

On PostgreSQL the lease is a session-level advisory lock, keyed by the schema (so
marketplaces in other schemas have leases of their own), held on a connection of
its own for as long as the process lives: when the process dies, its connection
closes and the server frees the lock, and the next worker that asks takes it. A
holder checks its connection at most every :data:`CHECK_INTERVAL_S`: one that broke
(the server restarted) no longer holds anything, and tries again like the others.
SQLite serves one process, whose lease is :class:`~plaza.market.leases.SoleLease`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from plaza.market.leases import Lease, SoleLease

__all__ = ["CHECK_INTERVAL_S", "SqlLease", "lease_for"]

log = logging.getLogger(__name__)

#: How stale a holder's knowledge that its connection is alive may be.
CHECK_INTERVAL_S = 1.0
#: The first key of the lease's advisory lock ("plzl"); the second is the schema's.
_LEASE_SPACE = 0x706C7A6C
_TRY = text("SELECT pg_try_advisory_lock(:space, hashtext(current_schema()))")
_UNLOCK = text("SELECT pg_advisory_unlock(:space, hashtext(current_schema()))")


def lease_for(engine: Engine) -> Lease:
    """The marketplace's lease on ``engine``'s database."""
    if engine.dialect.name == "postgresql":
        return SqlLease(engine)
    return SoleLease()


class SqlLease:
    """A session advisory lock on PostgreSQL, on a connection kept for it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._checked_at = 0.0
        self._generation = 0

    @property
    def generation(self) -> int:
        return self._generation

    def held(self) -> bool:
        with self._lock:
            try:
                if self._connection is None:
                    return self._take()
                if time.monotonic() - self._checked_at >= CHECK_INTERVAL_S:
                    self._connection.execute(text("SELECT 1"))
                    self._checked_at = time.monotonic()
                return True
            except SQLAlchemyError as error:
                log.warning("the marketplace's lease is not held: %s", type(error).__name__)
                self._drop()
                return False

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                with contextlib.suppress(SQLAlchemyError):  # a broken one holds nothing
                    self._connection.execute(_UNLOCK, {"space": _LEASE_SPACE})
            self._drop()

    def _take(self) -> bool:
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            taken = bool(connection.execute(_TRY, {"space": _LEASE_SPACE}).scalar_one())
        except BaseException:
            connection.close()
            raise
        if not taken:
            connection.close()
            return False
        self._connection, self._checked_at = connection, time.monotonic()
        self._generation += 1
        log.info("this worker holds the marketplace's lease (twin publisher, periodic round)")
        return True

    def _drop(self) -> None:
        """Close the lease's connection for good (not back to the pool: a session lock
        would go with it to whoever borrows it next)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                connection.invalidate()
                connection.close()
