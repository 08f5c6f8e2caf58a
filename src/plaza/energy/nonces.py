"""Seen letter nonces on disk, so a module refuses a replay even after it restarts.

:class:`~plaza.energy.envelope.NonceCache` forgets everything with the process;
a letter captured before a restart could then be delivered again within its
freshness window. :class:`SqliteNonces` keeps each nonce in the module's data
directory for twice that window (the longest a letter with it can still open),
with the same answer: ``admit`` is True exactly once per nonce.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from plaza.energy.envelope import MAX_SKEW_MS

__all__ = ["NONCES_FILE", "SqliteNonces"]

#: The file in a module's data directory.
NONCES_FILE = "nonces.sqlite3"

_PURGE_EVERY = 1_000  # admissions between purges of nonces no letter can carry any more


class SqliteNonces:
    """:class:`~plaza.energy.envelope.Nonces` in one SQLite file.

    A connection per admission: letters arrive a few per second at most, and a
    module then owns no connection that its shutdown would have to close.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        self._path = path
        self._lock = threading.Lock()
        self._admitted = 0
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS letter_nonces"
                " (nonce TEXT PRIMARY KEY, issued_at INTEGER NOT NULL) WITHOUT ROWID"
            )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self._path, isolation_level=None, timeout=10)
        try:
            yield db
        finally:
            db.close()

    def admit(self, nonce: str, issued_at_ms: int, now_ms: int) -> bool:
        with self._lock, self._connect() as db:
            self._admitted += 1
            if self._admitted % _PURGE_EVERY == 1:
                horizon = now_ms - 2 * MAX_SKEW_MS
                db.execute("DELETE FROM letter_nonces WHERE issued_at < ?", (horizon,))
            cursor = db.execute(
                "INSERT OR IGNORE INTO letter_nonces (nonce, issued_at) VALUES (?, ?)",
                (nonce, issued_at_ms),
            )
            return cursor.rowcount == 1
