"""The energy vertical's SQLite discipline, shared by the marketplace, bid manager, asset and
owner stores.

:class:`SqliteFile` is one file, created readable by its owner only (the stores keep twin
channels, cursors and key hashes there), behind one connection and a re-entrant lock, in
WAL mode. :meth:`SqliteFile.atomic` makes a step's writes one ``BEGIN IMMEDIATE``
transaction (nested calls join the outer one) and yields the connection for stores that
write through it. Values always travel as parameters, never inside SQL.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["SqliteFile"]

_BUSY_TIMEOUT_MS = 5000


class SqliteFile:
    """One SQLite file, one connection, one writer at a time; statements take parameters only.

    ``schema`` runs at open, then ``migrate`` (for what ``CREATE ... IF NOT EXISTS`` leaves
    as it was in an older file), both in the one opening transaction, under the lock.
    ``synchronous`` ``None`` keeps SQLite's default.
    """

    def __init__(
        self,
        path: Path,
        schema: Sequence[str],
        *,
        migrate: Callable[[sqlite3.Connection], None] | None = None,
        foreign_keys: bool = False,
        busy_timeout_ms: int = _BUSY_TIMEOUT_MS,
        synchronous: str | None = "NORMAL",
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._depth = 0
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            if synchronous is not None:
                self._conn.execute(f"PRAGMA synchronous = {synchronous}")
            if foreign_keys:
                self._conn.execute("PRAGMA foreign_keys = ON")  # a no-op inside a transaction
            with self.atomic() as conn:
                for statement in schema:
                    conn.execute(statement)
                if migrate is not None:
                    migrate(conn)
        except BaseException:
            self._conn.close()
            raise

    @contextmanager
    def atomic(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._conn.execute(sql, parameters)

    def rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, parameters).fetchall()

    def row(self, sql: str, parameters: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        with self._lock:
            found: tuple[Any, ...] | None = self._conn.execute(sql, parameters).fetchone()
            return found

    def count(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        found = self.row(sql, parameters)
        return 0 if found is None else int(found[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
