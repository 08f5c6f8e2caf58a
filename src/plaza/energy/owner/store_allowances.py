"""The user module's SQLite file, its allowances part: the table and the store's methods.

:class:`~plaza.energy.owner.store.SqliteOwnerStore` takes these methods by inheritance, so
its module stays about one thing; the table is made with the others (:data:`SCHEMA`). What
an allowance paid is summed from the ``transfers`` table, whose ``allowance`` column names
the allowance a move was made from.
"""

from __future__ import annotations

import sqlite3

from plaza.energy.errors import WrongState
from plaza.energy.owner.transfers import Allowance, TransferState
from plaza.sqlite import SqliteFile

__all__ = ["SCHEMA", "AllowanceRows"]

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS allowances (
    number INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    owner_id TEXT NOT NULL REFERENCES owners(id),
    cap INTEGER NOT NULL,
    return_address TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    revoked_ms INTEGER
)""",
    "CREATE INDEX IF NOT EXISTS allowances_by_owner ON allowances (owner_id, number)",
)
_SELECT = "SELECT id, owner_id, number, cap, return_address, created_ms, revoked_ms"


class AllowanceRows:
    """The allowance methods of :class:`~plaza.energy.owner.ports.OwnerStore` over SQL."""

    _db: SqliteFile

    def add_allowance(
        self, owner_id: str, allowance_id: str, cap: int, return_address: str, created_ms: int
    ) -> Allowance:
        try:
            with self._db.atomic() as conn:
                cursor = conn.execute(
                    "INSERT INTO allowances (id, owner_id, cap, return_address, created_ms)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (allowance_id, owner_id, cap, return_address, created_ms),
                )
                number = cursor.lastrowid
        except sqlite3.IntegrityError:
            raise WrongState(f"no allowance {allowance_id!r} for {owner_id!r}") from None
        assert number is not None
        return Allowance(allowance_id, owner_id, number, cap, return_address, created_ms)

    def allowances_of(self, owner_id: str) -> list[Allowance]:
        rows = self._db.rows(
            _SELECT + " FROM allowances WHERE owner_id = ? ORDER BY number DESC", (owner_id,)
        )
        return [Allowance(*row) for row in rows]

    def revoke_allowance(self, allowance_id: str, at_ms: int) -> None:
        with self._db.atomic() as conn:
            conn.execute(
                "UPDATE allowances SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL",
                (at_ms, allowance_id),
            )

    def allowance_paid(self, allowance_id: str) -> int:
        return self._db.count(
            "SELECT COALESCE(SUM(amount), 0) FROM transfers WHERE allowance = ?"
            " AND kind = 'fund' AND state IN (?, ?)",
            (allowance_id, str(TransferState.PENDING), str(TransferState.CONFIRMED)),
        )
