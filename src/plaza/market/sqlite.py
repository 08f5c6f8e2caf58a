"""The :class:`~plaza.market.ports.BookStore` on one SQLite file (stdlib ``sqlite3``).

One row per step, the entry as JSON (:mod:`plaza.market.codec`), written in one
``BEGIN IMMEDIATE`` transaction that first checks the step follows the last one:
the new order and every match it made land together or not at all. A unique
index on (participant, idempotency key) is the last line of defence against a
retried submission becoming a second order, behind the book's own index.

One connection, guarded by a lock, serves every thread (as in
:mod:`plaza.storage.sqlite`); WAL with ``synchronous=NORMAL`` survives the
process being killed, which is what the crash tests do.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from plaza.market.codec import decode_entry, encode_entry
from plaza.market.errors import BookStoreFailed, JournalConflict
from plaza.market.journal import JournalEntry

__all__ = ["SqliteBookStore"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS market_journal (
        step INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        participant TEXT,
        idempotency_key TEXT,
        entry TEXT NOT NULL
    )""",
    """CREATE UNIQUE INDEX IF NOT EXISTS market_journal_key
        ON market_journal (participant, idempotency_key)
        WHERE idempotency_key IS NOT NULL""",
)
_PAGE = 1000
_BUSY_TIMEOUT_MS = 5000


class SqliteBookStore:
    """The book's journal in the SQLite file at ``path`` (or ``":memory:"``)."""

    def __init__(self, path: str | Path) -> None:
        self._lock = threading.Lock()
        try:
            self._conn: sqlite3.Connection | None = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise BookStoreFailed(f"cannot open {path}: {error}") from error
        try:
            with self._cursor() as cur:
                cur.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
                cur.execute("PRAGMA journal_mode = WAL")
                cur.execute("PRAGMA synchronous = NORMAL")
                for statement in _SCHEMA:
                    cur.execute(statement)
        except BaseException:
            self.close()
            raise

    def append(self, entry: JournalEntry) -> None:
        text = encode_entry(entry)
        with self._cursor(write=True) as cur:
            (last,) = cur.execute("SELECT COALESCE(MAX(step), 0) FROM market_journal").fetchone()
            if entry.step != last + 1:
                raise JournalConflict(entry.step, f"the journal is at step {last}")
            try:
                cur.execute(
                    "INSERT INTO market_journal VALUES (?, ?, ?, ?, ?)",
                    (entry.step, entry.at_ms, entry.participant, entry.idempotency_key, text),
                )
            except sqlite3.IntegrityError as error:
                raise JournalConflict(
                    entry.step, f"idempotency key already used ({error})"
                ) from None

    def entries(self, *, after_step: int = 0) -> Iterator[JournalEntry]:
        """Read in pages, so a long journal streams without holding the lock throughout."""
        while True:
            with self._cursor() as cur:
                rows = cur.execute(
                    "SELECT step, entry FROM market_journal WHERE step > ? ORDER BY step LIMIT ?",
                    (after_step, _PAGE),
                ).fetchall()
            for step, text in rows:
                yield decode_entry(text, step=step)
            if len(rows) < _PAGE:
                return
            after_step = rows[-1][0]

    def entry(self, step: int) -> JournalEntry | None:
        with self._cursor() as cur:
            row = cur.execute("SELECT entry FROM market_journal WHERE step = ?", (step,)).fetchone()
        return None if row is None else decode_entry(row[0], step=step)

    def last_step(self) -> int:
        with self._cursor() as cur:
            (last,) = cur.execute("SELECT COALESCE(MAX(step), 0) FROM market_journal").fetchone()
        return int(last)

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    @contextmanager
    def _cursor(self, *, write: bool = False) -> Iterator[sqlite3.Cursor]:
        """Serialise on the lock; a write is one explicit transaction, rolled back on any error."""
        with self._lock:
            if self._conn is None:
                raise BookStoreFailed("the store is closed")
            conn = self._conn
            cur = conn.cursor()
            try:
                if write:
                    cur.execute("BEGIN IMMEDIATE")
                yield cur
                if write:
                    cur.execute("COMMIT")
            except sqlite3.Error as error:
                _rollback(conn)
                raise BookStoreFailed(f"SQLite: {error}") from error
            except BaseException:
                _rollback(conn)
                raise
            finally:
                cur.close()


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")
