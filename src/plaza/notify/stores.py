"""The SQLite :class:`~plaza.notify.ports.SubscriptionStore`: subscriptions in one file.

The SQLite store holds webhook secrets in clear, because signing needs them;
protect the file like any other credential store (mode 0600, backups encrypted).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from plaza.notify.errors import StoreError
from plaza.notify.model import EventQuery, Subscription

__all__ = ["SqliteSubscriptionStore"]


_SCHEMA = """CREATE TABLE IF NOT EXISTS subscriptions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    callback TEXT NOT NULL,
    query TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_ms INTEGER NOT NULL
)"""

_SELECT = "SELECT id, callback, query, secret, created_ms FROM subscriptions"


def _subscription(row: tuple[str, str, str, str, int]) -> Subscription:
    sub_id, callback, query, secret, created_ms = row
    return Subscription(sub_id, callback, EventQuery.parse(query), secret, created_ms)


class SqliteSubscriptionStore:
    """A :class:`~plaza.notify.ports.SubscriptionStore` in the SQLite file at ``path``."""

    def __init__(self, path: str | Path) -> None:
        self._lock = threading.Lock()
        try:
            self._conn: sqlite3.Connection | None = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=10
            )
        except sqlite3.Error as error:
            raise StoreError(f"cannot open subscription store {path}: {error}") from error
        try:
            with self._cursor() as cur:
                cur.execute("PRAGMA journal_mode = WAL")
                cur.execute(_SCHEMA)
        except BaseException:
            self.close()
            raise

    @contextmanager
    def _cursor(self) -> Iterator[sqlite3.Cursor]:
        """One statement at a time under the lock; each is its own (autocommit) transaction."""
        with self._lock:
            if self._conn is None:
                raise StoreError("the subscription store is closed")
            cur = self._conn.cursor()
            try:
                yield cur
            except sqlite3.Error as error:
                raise StoreError(f"SQLite: {error}") from error
            finally:
                cur.close()

    def add(self, subscription: Subscription) -> None:
        with self._cursor() as cur:
            cur.execute(
                "INSERT INTO subscriptions (id, callback, query, secret, created_ms)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    subscription.id,
                    subscription.callback,
                    subscription.query.render(),
                    subscription.secret,
                    subscription.created_ms,
                ),
            )

    def remove(self, subscription_id: str) -> bool:
        with self._cursor() as cur:
            cur.execute("DELETE FROM subscriptions WHERE id = ?", (subscription_id,))
            return cur.rowcount == 1

    def get(self, subscription_id: str) -> Subscription | None:
        with self._cursor() as cur:
            cur.execute(_SELECT + " WHERE id = ?", (subscription_id,))
            row = cur.fetchone()
        return None if row is None else _subscription(row)

    def list_all(self) -> list[Subscription]:
        with self._cursor() as cur:
            cur.execute(_SELECT + " ORDER BY seq")
            rows = cur.fetchall()
        return [_subscription(row) for row in rows]

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
