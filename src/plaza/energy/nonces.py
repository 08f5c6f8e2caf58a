"""Seen letter nonces on disk, so a module refuses a replay even after it restarts.

The market's :class:`~plaza.market.auth.MemoryNonceStore` forgets everything
with the process; a letter captured before a restart could then be delivered
again within its freshness window. :class:`SqliteNonces` is the same
:class:`~plaza.market.auth.NonceStore` in one stdlib SQLite file in the module's
data directory, and passes the same contract suite as the market's adapters
(``tests/contract/test_market_sql_nonces.py``).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["NONCES_FILE", "SqliteNonces"]

#: The file in a module's data directory.
NONCES_FILE = "nonces.sqlite3"

#: How often remembering also deletes the nonces no letter can carry any more.
_PURGE_INTERVAL_MS = 1_000


class SqliteNonces:
    """:class:`~plaza.market.auth.NonceStore` in one SQLite file.

    A connection per call: letters arrive a few per second at most, and a module
    then owns no connection that its shutdown would have to close. One lock
    serialises this process's writers; SQLite's ``INSERT … ON CONFLICT`` makes
    the test-and-set atomic for any other.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        self._path = path
        self._lock = threading.Lock()
        self._next_purge_ms = 0
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS nonces (sender TEXT NOT NULL, nonce TEXT NOT NULL,"
                " expires_at INTEGER NOT NULL, PRIMARY KEY (sender, nonce)) WITHOUT ROWID"
            )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self._path, isolation_level=None, timeout=10)
        try:
            yield db
        finally:
            db.close()

    def remember(self, participant_id: str, nonce: str, *, expires_at_ms: int, now_ms: int) -> bool:
        with self._lock, self._connect() as db:
            if now_ms >= self._next_purge_ms:
                self._next_purge_ms = now_ms + _PURGE_INTERVAL_MS
                db.execute("DELETE FROM nonces WHERE expires_at <= ?", (now_ms,))
            cursor = db.execute(
                "INSERT INTO nonces (sender, nonce, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT (sender, nonce) DO UPDATE SET expires_at = excluded.expires_at"
                " WHERE nonces.expires_at <= ?",
                (participant_id, nonce, expires_at_ms, now_ms),
            )
            return cursor.rowcount == 1

    def purge_expired(self, now_ms: int) -> int:
        with self._lock, self._connect() as db:
            return db.execute("DELETE FROM nonces WHERE expires_at <= ?", (now_ms,)).rowcount

    def count(self) -> int:
        with self._lock, self._connect() as db:
            (count,) = db.execute("SELECT count(*) FROM nonces").fetchone()
            return int(count)
