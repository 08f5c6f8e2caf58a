"""One SQLite file behind one writer: the skeleton every stdlib SQLite store shares.

The tangle store, the book's journal file, the job queue, the webhook
subscriptions, the channel cursors, the seen letter nonces and the four energy
stores each used to open SQLite themselves and repeat the same dozen lines. They
now hold a :class:`SqliteFile`:

- **open**: missing parent folders made mode 0700 and the file created mode 0600
  before SQLite opens it (SQLite gives the WAL files it makes the same mode); a file,
  ``-wal``, ``-shm`` or ``-journal`` an older release left readable by others is made
  0600 again. Only a store that keeps neither secrets nor anyone's messages says
  ``private=False`` (then SQLite creates it as usual). Then
  ``busy_timeout``, ``journal_mode = WAL``, ``synchronous`` and the store's own
  pragmas, then its schema statements and ``migrate`` in one transaction;
- **one writer**: one connection (``isolation_level=None``: the stdlib never opens
  or commits a transaction behind our back) serialised by a re-entrant lock.
  :meth:`SqliteFile.write` is one explicit ``BEGIN IMMEDIATE`` transaction, which
  takes SQLite's write lock up front so it never fails on upgrade, rolled back on
  any error; a nested :meth:`~SqliteFile.write` joins the outer one;
- **readers**: :meth:`SqliteFile.read` runs on the same connection under the same
  lock, outside a transaction. A second connection was measured and lost (its page
  cache is dropped at every commit of the writer; see ``docs/architecture.md``);
- **errors**: ``error`` turns a driver error's text into the store's own package
  error (``StorageError``, ``BookStoreFailed``, ``QueueError``, ``StoreError``);
  without it the driver's exceptions pass through unchanged. A closed file refuses
  every call with that same error;
- **close**: closes the connection (checkpointing the WAL); later calls are refused.

Values always travel as parameters, never inside SQL. This is datasette's
``execute_write`` discipline (one writer per database, explicit transactions)
without its thread: callers here are threads already.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["DRIVER_ERRORS", "ErrorFactory", "SqliteFile", "private_folder"]

#: What the driver raises: Python's sqlite3 raises OverflowError, not sqlite3.Error,
#: for an integer over 64 bits.
DRIVER_ERRORS = (sqlite3.Error, OverflowError)

#: Builds a store's own error from a message (``"SQLite: disk I/O error"``).
ErrorFactory = Callable[[str], Exception]

_BUSY_TIMEOUT_MS = 5000
_MEMORY = ":memory:"
#: The files SQLite keeps beside a database, which hold its pages too.
_SIDE_FILES = ("-wal", "-shm", "-journal")


class SqliteFile:
    """One SQLite file, one connection, one writer at a time; statements take parameters only.

    ``schema`` runs at open, then ``migrate`` (for what ``CREATE ... IF NOT EXISTS``
    leaves as it was in an older file), both in the one opening transaction.
    ``synchronous`` ``None`` keeps SQLite's default (``FULL``); ``NORMAL`` in WAL mode
    survives the process being killed (a commit is in the WAL before ``COMMIT``
    returns), though not a power cut. ``pragmas`` are set after those, in order.
    ``label`` names the store in the message of a closed store ("the queue is closed").
    """

    def __init__(
        self,
        path: str | Path,
        schema: Sequence[str] = (),
        *,
        migrate: Callable[[sqlite3.Connection], None] | None = None,
        error: ErrorFactory | None = None,
        label: str = "database",
        private: bool = True,
        foreign_keys: bool = False,
        busy_timeout_ms: int = _BUSY_TIMEOUT_MS,
        synchronous: str | None = "NORMAL",
        pragmas: Mapping[str, int] | None = None,
    ) -> None:
        self._error = error
        self._label = label
        self._lock = threading.RLock()
        self._depth = 0
        self._conn: sqlite3.Connection | None = _connect(path, private, self._fail)
        try:
            with self.read() as conn:
                conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
                conn.execute("PRAGMA journal_mode = WAL")
                if synchronous is not None:
                    conn.execute(f"PRAGMA synchronous = {_word(synchronous)}")
                for name, value in (pragmas or {}).items():
                    conn.execute(f"PRAGMA {_word(name)} = {int(value)}")
                if foreign_keys:
                    conn.execute("PRAGMA foreign_keys = ON")  # a no-op inside a transaction
            if schema or migrate is not None:
                with self.write() as conn:
                    for statement in schema:
                        conn.execute(statement)
                    if migrate is not None:
                        migrate(conn)
        except BaseException:
            self.close()
            raise

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: committed on exit, rolled back on any error.

        A ``write`` inside another (same thread) joins it: the outer one commits both.
        """
        with self._lock:
            conn = self._open()
            if self._depth:
                self._depth += 1
                try:
                    yield conn
                finally:
                    self._depth -= 1
                return
            self._depth = 1
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except DRIVER_ERRORS as failure:
                _rollback(conn)
                raise self._translate(failure) from failure
            except BaseException:
                _rollback(conn)
                raise
            finally:
                self._depth = 0

    #: The energy stores' name for :meth:`write`.
    atomic = write

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """The connection under the lock, outside a transaction (inside one within :meth:`write`).

        The lock keeps this process's writes from interleaving with the block: a
        group of lookups sees one state.
        """
        with self._lock:
            conn = self._open()
            try:
                yield conn
            except DRIVER_ERRORS as failure:
                if not self._depth:
                    raise self._translate(failure) from failure
                raise

    @contextmanager
    def cursor(self, *, write: bool = False) -> Iterator[sqlite3.Cursor]:
        """A cursor in :meth:`write` (``write=True``) or :meth:`read`, closed on exit."""
        with self.write() if write else self.read() as conn:
            cur = conn.cursor()
            try:
                yield cur
            finally:
                cur.close()

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Cursor:
        """One statement; outside :meth:`write` it is its own (autocommit) transaction."""
        with self.read() as conn:
            return conn.execute(sql, parameters)

    def rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.read() as conn:
            return conn.execute(sql, parameters).fetchall()

    def row(self, sql: str, parameters: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        with self.read() as conn:
            found: tuple[Any, ...] | None = conn.execute(sql, parameters).fetchone()
            return found

    def count(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        found = self.row(sql, parameters)
        return 0 if found is None else int(found[0])

    def close(self) -> None:
        """Close the connection (checkpointing the WAL); later calls are refused."""
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            raise self._fail(f"the {self._label} is closed")
        return self._conn

    def _translate(self, failure: Exception) -> Exception:
        return failure if self._error is None else self._error(f"SQLite: {failure}")

    def _fail(self, message: str) -> Exception:
        return sqlite3.ProgrammingError(message) if self._error is None else self._error(message)


def private_folder(path: str | Path) -> Path:
    """``path`` as a folder, it and every missing parent made 0700 (owner only).

    A folder that exists is left as it is: it may be shared (``/tmp``) on purpose.
    """
    folder = Path(path)
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for each in reversed(missing):
        each.mkdir(mode=0o700, exist_ok=True)
        each.chmod(0o700)  # the mode given to mkdir is cut by the umask
    return folder


def _make_private(path: Path, fail: ErrorFactory) -> None:
    """Create ``path`` 0600 (its folders 0700) before SQLite opens it, and make it and the
    WAL files an older release left readable by others 0600 again."""
    private_folder(path.parent)
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        for file in (path, *(path.with_name(path.name + side) for side in _SIDE_FILES)):
            if file.exists() and file.stat().st_mode & 0o077:
                file.chmod(0o600)
    except OSError as error:
        raise fail(f"cannot make SQLite file {path} private: {error}") from error


def _connect(path: str | Path, private: bool, fail: ErrorFactory) -> sqlite3.Connection:
    """Open ``path``; a private file is made owner-only first (:func:`_make_private`)."""
    if private and str(path) != _MEMORY:
        _make_private(Path(path), fail)
    try:
        return sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as error:
        raise fail(f"cannot open SQLite file {path}: {error}") from error


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _word(text: str) -> str:
    """A pragma's name or keyword value: letters and underscores only, as it goes into SQL."""
    if not text.replace("_", "").isalpha():
        raise ValueError(f"not a pragma word: {text!r}")
    return text
