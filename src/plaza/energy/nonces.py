"""Seen letter nonces on disk, so a module refuses a replay even after it restarts.

The market's :class:`~plaza.market.auth.MemoryNonceStore` forgets everything
with the process; a letter captured before a restart could then be delivered
again within its freshness window. :class:`SqliteNonces` is the same
:class:`~plaza.market.auth.NonceStore` in one stdlib SQLite file in the module's
data directory, and passes the same contract suite as the market's adapters
(``tests/contract/test_market_sql_nonces.py``).
"""

from __future__ import annotations

from pathlib import Path

from plaza.sqlite import SqliteFile

__all__ = ["NONCES_FILE", "SqliteNonces"]

#: The file in a module's data directory.
NONCES_FILE = "nonces.sqlite3"

#: How often remembering also deletes the nonces no letter can carry any more.
_PURGE_INTERVAL_MS = 1_000


_SCHEMA = """CREATE TABLE IF NOT EXISTS nonces (sender TEXT NOT NULL, nonce TEXT NOT NULL,
    expires_at INTEGER NOT NULL, PRIMARY KEY (sender, nonce)) WITHOUT ROWID"""


class SqliteNonces:
    """:class:`~plaza.market.auth.NonceStore` in one private :class:`~plaza.sqlite.SqliteFile`.

    Remembering is one ``BEGIN IMMEDIATE`` transaction on the file's one writer; the
    ``INSERT … ON CONFLICT`` makes the test-and-set atomic for any other process too.
    The connection lives as long as the store; :meth:`close` ends it (a module that
    never calls it leaves it to the process's exit).
    """

    def __init__(self, path: Path) -> None:
        self._db = SqliteFile(path, [_SCHEMA], busy_timeout_ms=10_000, synchronous=None)
        self._next_purge_ms = 0

    def remember(self, participant_id: str, nonce: str, *, expires_at_ms: int, now_ms: int) -> bool:
        with self._db.write() as db:
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
        with self._db.write() as db:
            return db.execute("DELETE FROM nonces WHERE expires_at <= ?", (now_ms,)).rowcount

    def count(self) -> int:
        return self._db.count("SELECT count(*) FROM nonces")

    def close(self) -> None:
        self._db.close()
