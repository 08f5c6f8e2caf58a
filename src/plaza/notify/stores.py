"""The SQLite :class:`~plaza.notify.ports.SubscriptionStore`: subscriptions in one file.

The SQLite store holds webhook secrets in clear, because signing needs them, so
its file is created readable by its owner only (mode 0600, a private
:class:`plaza.sqlite.SqliteFile`); protect it like any other credential store
(backups encrypted). Each change is one ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

from pathlib import Path

from plaza.notify.errors import StoreError
from plaza.notify.model import EventQuery, Subscription
from plaza.sqlite import SqliteFile

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
        self._db = SqliteFile(
            path,
            [_SCHEMA],
            error=StoreError,
            label="subscription store",
            busy_timeout_ms=10_000,
            synchronous=None,
        )

    def add(self, subscription: Subscription) -> None:
        with self._db.cursor(write=True) as cur:
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
        with self._db.cursor(write=True) as cur:
            cur.execute("DELETE FROM subscriptions WHERE id = ?", (subscription_id,))
            return cur.rowcount == 1

    def get(self, subscription_id: str) -> Subscription | None:
        with self._db.cursor() as cur:
            cur.execute(_SELECT + " WHERE id = ?", (subscription_id,))
            row = cur.fetchone()
        return None if row is None else _subscription(row)

    def list_all(self) -> list[Subscription]:
        with self._db.cursor() as cur:
            cur.execute(_SELECT + " ORDER BY seq")
            rows = cur.fetchall()
        return [_subscription(row) for row in rows]

    def close(self) -> None:
        self._db.close()
