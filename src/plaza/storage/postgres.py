"""The :class:`~plaza.ledger.ports.TangleStore` on PostgreSQL, for nodes that share a server.

One psycopg connection with autocommit off, guarded by a lock. With autocommit
off psycopg would silently open a transaction on the first statement and keep
it open; so *every* call, reads included, runs inside ``conn.transaction()``,
which begins and commits (or rolls back) explicitly and never leaves the
connection idle in a transaction.

``schema`` lets several stores (tests, or nodes of a local network) share one
database: the schema is created if missing and put first on the search path.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from plaza.storage._common import closed_error
from plaza.storage._sql import Cursor, Dialect, SqlTangleStore
from plaza.storage.errors import StorageError

__all__ = ["PostgresTangleStore"]

POSTGRES = Dialect(
    blob="BYTEA",
    seq_column="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    placeholder="%s",
)

#: Advisory lock key serialising schema creation between processes opening at once
#: (``CREATE ... IF NOT EXISTS`` is not safe against a concurrent identical CREATE).
_SCHEMA_LOCK = 0x706C617A61  # "plaza"


class PostgresTangleStore(SqlTangleStore):
    """The store in the database at ``dsn``, in ``schema`` if given (created when missing)."""

    def __init__(self, dsn: str, *, schema: str | None = None) -> None:
        super().__init__(POSTGRES)
        self._lock = threading.Lock()
        self._schema = schema
        try:
            self._conn: psycopg.Connection[tuple[object, ...]] | None = psycopg.connect(
                dsn, autocommit=False
            )
        except psycopg.Error as error:
            raise StorageError(f"cannot connect to PostgreSQL: {error}") from error
        try:
            self._init_schema(*self._setup())
        except BaseException:
            self.close()
            raise

    def _setup(self) -> list[sql.Composable]:
        """Serialise concurrent first opens, and enter the schema (creating it if needed).

        ``SET`` (not ``SET LOCAL``) outlives the schema transaction once it
        commits, so the search path holds for the connection's life.
        """
        statements: list[sql.Composable] = [
            sql.SQL("SELECT pg_advisory_xact_lock({})").format(sql.Literal(_SCHEMA_LOCK))
        ]
        if self._schema is not None:
            name = sql.Identifier(self._schema)
            statements.append(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(name))
            statements.append(sql.SQL("SET search_path TO {}").format(name))
        return statements

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Cursor]:
        """One explicit transaction per call, reads too; driver errors become StorageError."""
        with self._lock:
            if self._conn is None:
                raise closed_error()
            try:
                with self._conn.transaction(), self._conn.cursor() as cur:
                    yield cur
            except psycopg.Error as error:
                raise StorageError(f"PostgreSQL: {error}") from error

    def close(self) -> None:
        """Close the connection; later calls raise :class:`StorageError`."""
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
