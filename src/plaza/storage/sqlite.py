"""The :class:`~plaza.ledger.ports.TangleStore` for a single node: one SQLite file.

One connection serves every thread, guarded by a lock: SQLite allows one writer
at a time anyway, and a single connection keeps the store's view consistent
without cross-connection locking. Transactions are explicit
(``isolation_level=None`` and our own ``BEGIN IMMEDIATE``/``COMMIT``), so the
stdlib never opens or commits one behind our back.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from plaza.storage._common import closed_error
from plaza.storage._sql import Cursor, Dialect, SqlTangleStore
from plaza.storage.errors import StorageError

__all__ = ["SqliteTangleStore"]

SQLITE = Dialect(
    blob="BLOB",
    # AUTOINCREMENT: the seq of a discarded newest message is never handed out again.
    seq_column="INTEGER PRIMARY KEY AUTOINCREMENT",
    placeholder="?",
    clustered=" WITHOUT ROWID",
)

#: How long a statement waits for another process's lock before failing.
_BUSY_TIMEOUT_MS = 5000

#: Page cache (negative: KiB). Ingest inserts random 32-byte keys into three
#: B-trees; keeping their inner pages cached is most of the ingest rate.
_CACHE_KIB = 64 * 1024

#: WAL pages (4 KiB each) between checkpoints. Checkpoints fsync and write back
#: every page changed since the last one; spacing them out lets a page changed by
#: many batches be written once. Costs up to ~40 MB of WAL file.
_WAL_CHECKPOINT_PAGES = 10_000

#: Python's sqlite3 raises OverflowError, not sqlite3.Error, for integers over 64 bits.
_DRIVER_ERRORS = (sqlite3.Error, OverflowError)


class SqliteTangleStore(SqlTangleStore):
    """Messages, milestones and balances in the SQLite file at ``path`` (or ``":memory:"``)."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(SQLITE)
        self._lock = threading.Lock()
        try:
            self._conn: sqlite3.Connection | None = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise StorageError(f"cannot open SQLite database {path}: {error}") from error
        try:
            self._configure()
            self._init_schema()
        except BaseException:
            self.close()
            raise

    def _configure(self) -> None:
        """WAL lets readers in other processes run during a write.

        ``synchronous=NORMAL`` in WAL mode is durable against the process being
        killed: a committed transaction is in the WAL file before ``COMMIT``
        returns. Only an OS crash or power loss can drop the last transactions
        (never corrupt the database), which a node recovers from its peers.
        """
        with self._transaction(write=False) as cur:
            cur.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
            cur.execute(f"PRAGMA wal_autocheckpoint = {_WAL_CHECKPOINT_PAGES}")

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Cursor]:
        """Serialise on the lock; writes in ``BEGIN IMMEDIATE`` so they never fail on upgrade.

        Reads run outside a transaction: the lock already keeps this process's
        writes from interleaving, and each read is a consistent single statement
        or a set of independent lookups.
        """
        with self._lock:
            if self._conn is None:
                raise closed_error()
            conn = self._conn
            cur = conn.cursor()
            try:
                if write:
                    cur.execute("BEGIN IMMEDIATE")
                yield cur
                if write:
                    cur.execute("COMMIT")
            except _DRIVER_ERRORS as error:
                self._rollback(conn)
                raise StorageError(f"SQLite: {error}") from error
            except BaseException:
                self._rollback(conn)
                raise
            finally:
                cur.close()

    @staticmethod
    def _rollback(conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")

    def close(self) -> None:
        """Close the connection (checkpointing the WAL); later calls raise :class:`StorageError`."""
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
