"""The :class:`~plaza.market.book.ports.BookStore` on one SQLite file (stdlib ``sqlite3``).

One row per step, the entry as JSON (:mod:`plaza.market.book.codec`), written in one
``BEGIN IMMEDIATE`` transaction that first checks the step follows the last one:
the new order and every match it made land together or not at all. A unique
index on (participant, idempotency key) is the last line of defence against a
retried submission becoming a second order, behind the book's own index.

The file is a :class:`plaza.sqlite.SqliteFile` (one connection behind a lock,
as in :mod:`plaza.storage.sqlite`); WAL with ``synchronous=NORMAL`` survives the
process being killed, which is what the crash tests do.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from plaza.market.book.codec import decode_entry, encode_entry
from plaza.market.book.journal import JournalEntry
from plaza.market.errors import BookStoreFailed, JournalConflict
from plaza.sqlite import SqliteFile

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


class SqliteBookStore:
    """The book's journal in the SQLite file at ``path`` (or ``":memory:"``)."""

    def __init__(self, path: str | Path) -> None:
        self._db = SqliteFile(path, _SCHEMA, error=BookStoreFailed, label="store", private=False)

    def hold(self) -> None:
        """Nothing to do: one bid manager owns this journal, and its own lock serialises."""

    def append(self, entry: JournalEntry) -> None:
        text = encode_entry(entry)
        with self._db.write() as conn:
            (last,) = conn.execute("SELECT COALESCE(MAX(step), 0) FROM market_journal").fetchone()
            if entry.step != last + 1:
                raise JournalConflict(entry.step, f"the journal is at step {last}")
            try:
                conn.execute(
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
            with self._db.read() as conn:
                rows = conn.execute(
                    "SELECT step, entry FROM market_journal WHERE step > ? ORDER BY step LIMIT ?",
                    (after_step, _PAGE),
                ).fetchall()
            for step, text in rows:
                yield decode_entry(text, step=step)
            if len(rows) < _PAGE:
                return
            after_step = rows[-1][0]

    def entry(self, step: int) -> JournalEntry | None:
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT entry FROM market_journal WHERE step = ?", (step,)
            ).fetchone()
        return None if row is None else decode_entry(row[0], step=step)

    def last_step(self) -> int:
        with self._db.read() as conn:
            (last,) = conn.execute("SELECT COALESCE(MAX(step), 0) FROM market_journal").fetchone()
        return int(last)

    def close(self) -> None:
        self._db.close()
