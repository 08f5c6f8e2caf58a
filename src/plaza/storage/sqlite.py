"""The :class:`~plaza.ledger.ports.TangleStore` for a single node: one SQLite file.

The file is a :class:`plaza.sqlite.SqliteFile`: one connection serves every
thread, guarded by its lock. SQLite allows one writer at a time anyway, and a
single connection keeps the store's view consistent without cross-connection
locking (and keeps one warm page cache: ingest reads and writes the same pages).
Writes are explicit ``BEGIN IMMEDIATE`` transactions, so the stdlib never opens
or commits one behind our back.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

from plaza.sqlite import SqliteFile
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

#: Page cache (negative: KiB). Ingest inserts random 32-byte keys into three
#: B-trees; keeping their inner pages cached is most of the ingest rate.
_CACHE_KIB = 64 * 1024

#: WAL pages (4 KiB each) between checkpoints. Checkpoints fsync and write back
#: every page changed since the last one; spacing them out lets a page changed by
#: many batches be written once. Costs up to ~40 MB of WAL file.
_WAL_CHECKPOINT_PAGES = 10_000


class SqliteTangleStore(SqlTangleStore):
    """Messages, milestones and balances in the SQLite file at ``path`` (or ``":memory:"``).

    WAL lets readers in other processes run during a write. ``synchronous=NORMAL``
    in WAL mode is durable against the process being killed: a committed
    transaction is in the WAL file before ``COMMIT`` returns. Only an OS crash or
    power loss can drop the last transactions (never corrupt the database), which a
    node recovers from its peers.
    """

    def __init__(self, path: str | Path) -> None:
        super().__init__(SQLITE)
        self._db = SqliteFile(
            path,
            error=StorageError,
            label="store",
            private=False,
            pragmas={"cache_size": -_CACHE_KIB, "wal_autocheckpoint": _WAL_CHECKPOINT_PAGES},
        )
        try:
            self._init_schema()
        except BaseException:
            self.close()
            raise

    def _transaction(self, *, write: bool) -> AbstractContextManager[Cursor]:
        """A write is one ``BEGIN IMMEDIATE`` transaction; a read runs under the lock alone.

        Reads run outside a transaction: the lock already keeps this process's
        writes from interleaving, and each read is a consistent single statement
        or a set of independent lookups.
        """
        return self._db.cursor(write=write)

    def close(self) -> None:
        """Close the connection (checkpointing the WAL); later calls raise :class:`StorageError`."""
        self._db.close()
