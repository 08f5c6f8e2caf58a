"""The SQLite cursor store: publisher states on disk, one row per channel.

A cursor holds the channel secret, so the SQLite file is a private
:class:`plaza.sqlite.SqliteFile`: created with mode 0600 before SQLite opens it
(SQLite gives its WAL files the same mode). The store runs SQLite in WAL mode
with ``synchronous=NORMAL``: a commit survives the process being killed. After
a power cut the last commits may be lost, but no position is reused even then,
because opening a publisher probes the ledger past every position already taken
(see :mod:`plaza.channels.publisher`).

This is an adapter: import it from here (the composition root does); the
package face exports only the ports, the in-memory store and the backups.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from plaza.channels.codec import decode_state, encode_state
from plaza.channels.errors import CursorConflict
from plaza.channels.model import PublisherState
from plaza.sqlite import SqliteFile

__all__ = ["SqliteCursorStore"]


_SCHEMA = """CREATE TABLE IF NOT EXISTS channel_cursors
    (channel_id BLOB PRIMARY KEY, version INTEGER NOT NULL, state BLOB NOT NULL)"""


class SqliteCursorStore:
    """Cursor states in one SQLite file; compare-and-swap under ``BEGIN IMMEDIATE``."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db = SqliteFile(self.path, [_SCHEMA])

    def load(self, channel_id: bytes) -> PublisherState | None:
        row = self._db.row(
            "SELECT version, state FROM channel_cursors WHERE channel_id = ?", (channel_id,)
        )
        return None if row is None else decode_state(row[1], row[0])

    def save(self, state: PublisherState) -> PublisherState:
        return self._write(state, check=True)

    def replace(self, state: PublisherState) -> PublisherState:
        return self._write(state, check=False)

    def _write(self, state: PublisherState, *, check: bool) -> PublisherState:
        channel_id = state.channel.id
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT version FROM channel_cursors WHERE channel_id = ?", (channel_id,)
            ).fetchone()
            found = None if row is None else int(row[0])
            if check and found != state.version:
                raise CursorConflict(channel_id, state.version, found)
            version = 0 if found is None else found + 1
            conn.execute(
                "INSERT OR REPLACE INTO channel_cursors VALUES (?, ?, ?)",
                (channel_id, version, encode_state(state)),
            )
        return dataclasses.replace(state, version=version)

    def channel_ids(self) -> list[bytes]:
        rows = self._db.rows("SELECT channel_id FROM channel_cursors ORDER BY 1")
        return [bytes(row[0]) for row in rows]

    def close(self) -> None:
        self._db.close()
