"""The SQLite cursor store: publisher states on disk, one row per channel.

A cursor holds the channel secret, so the SQLite file is created with mode
0600 before SQLite opens it (SQLite gives its WAL files the same mode). The
store runs SQLite in WAL mode with ``synchronous=NORMAL``: a commit survives
the process being killed. After a power cut the last commits may be lost, but
no position is reused even then, because opening a publisher probes the ledger
past every position already taken (see :mod:`plaza.channels.publisher`).

This is an adapter: import it from here (the composition root does); the
package face exports only the ports, the in-memory store and the backups.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import threading
from pathlib import Path

from plaza.channels.codec import decode_state, encode_state
from plaza.channels.errors import CursorConflict
from plaza.channels.model import PublisherState

__all__ = ["SqliteCursorStore"]


class SqliteCursorStore:
    """Cursor states in one SQLite file; compare-and-swap under ``BEGIN IMMEDIATE``."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS channel_cursors "
            "(channel_id BLOB PRIMARY KEY, version INTEGER NOT NULL, state BLOB NOT NULL)"
        )

    def load(self, channel_id: bytes) -> PublisherState | None:
        with self._lock:
            row = self._db.execute(
                "SELECT version, state FROM channel_cursors WHERE channel_id = ?", (channel_id,)
            ).fetchone()
        return None if row is None else decode_state(row[1], row[0])

    def save(self, state: PublisherState) -> PublisherState:
        return self._write(state, check=True)

    def replace(self, state: PublisherState) -> PublisherState:
        return self._write(state, check=False)

    def _write(self, state: PublisherState, *, check: bool) -> PublisherState:
        channel_id = state.channel.id
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT version FROM channel_cursors WHERE channel_id = ?", (channel_id,)
                ).fetchone()
                found = None if row is None else int(row[0])
                if check and found != state.version:
                    raise CursorConflict(channel_id, state.version, found)
                version = 0 if found is None else found + 1
                self._db.execute(
                    "INSERT OR REPLACE INTO channel_cursors VALUES (?, ?, ?)",
                    (channel_id, version, encode_state(state)),
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return dataclasses.replace(state, version=version)

    def channel_ids(self) -> list[bytes]:
        with self._lock:
            rows = self._db.execute("SELECT channel_id FROM channel_cursors ORDER BY 1").fetchall()
        return [bytes(row[0]) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
