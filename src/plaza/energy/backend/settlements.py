"""The market's :class:`~plaza.market.settlement.SettlementStore` on the marketplace's SQLite file.

The energy marketplace keeps each contract's settlement (the market's state of it:
phase, reminders, deadline, the checked payment) in the same file as its records
and events, through the same :class:`~plaza.sqlite.SqliteFile`. A step that
saves a settlement inside :meth:`SqliteFile.atomic` therefore commits it with the
events and letters of that step, or not at all. ``save`` is one ``UPDATE ... WHERE
version = ?``: the row count says whether another writer got there first.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Any

from plaza.market.settlement import (
    ConcurrentUpdate,
    Contract,
    Phase,
    PreparedPayment,
    Settlement,
)
from plaza.sqlite import SqliteFile

__all__ = ["SETTLEMENT_SCHEMA", "SqliteSettlementStore"]

SETTLEMENT_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS settlements (
        contract_id TEXT PRIMARY KEY, provider TEXT NOT NULL, consumer TEXT NOT NULL,
        quantity INTEGER NOT NULL, unit_price INTEGER NOT NULL, created_at_ms INTEGER NOT NULL,
        kind TEXT NOT NULL, value INTEGER, phase TEXT NOT NULL, updated_at_ms INTEGER NOT NULL,
        deadline_ms INTEGER NOT NULL, reminders INTEGER NOT NULL, payment_message_id BLOB,
        payment_raw BLOB, payment_amount INTEGER, version INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS settlements_due ON settlements (phase, deadline_ms)",
    """CREATE INDEX IF NOT EXISTS settlements_consumer
        ON settlements (consumer, phase, created_at_ms)""",
)
_COLUMNS = (
    "contract_id, provider, consumer, quantity, unit_price, created_at_ms, kind, value, phase, "
    "updated_at_ms, deadline_ms, reminders, payment_message_id, payment_raw, payment_amount, "
    "version"
)
_SELECT = f"SELECT {_COLUMNS} FROM settlements "  # noqa: S608 - column names only
_MARKS = ", ".join("?" * 16)
_INSERT = f"INSERT OR IGNORE INTO settlements ({_COLUMNS}) VALUES ({_MARKS})"  # noqa: S608
_UPDATE = (
    "UPDATE settlements SET phase = ?, updated_at_ms = ?, deadline_ms = ?, reminders = ?, "
    "payment_message_id = ?, payment_raw = ?, payment_amount = ?, version = ? "
    "WHERE contract_id = ? AND version = ?"
)


class SqliteSettlementStore:
    """Settlements in the ``settlements`` table of ``db``; writes join its open transaction."""

    def __init__(self, db: SqliteFile) -> None:
        self._db = db

    def get(self, contract_id: str) -> Settlement | None:
        row = self._db.row(_SELECT + "WHERE contract_id = ?", (contract_id,))
        return None if row is None else _settlement(row)

    def create(self, settlement: Settlement) -> Settlement:
        with self._db.atomic():
            inserted = self._db.execute(_INSERT, _row(settlement)).rowcount
            if inserted == 1:
                return settlement
            stored = self.get(settlement.id)
        assert stored is not None
        return stored

    def save(self, settlement: Settlement) -> Settlement:
        saved = replace(settlement, version=settlement.version + 1)
        payment = saved.payment
        values = (
            saved.phase.value,
            saved.updated_at_ms,
            saved.deadline_ms,
            saved.reminders,
            payment.message_id if payment else None,
            payment.raw if payment else None,
            payment.amount if payment else None,
            saved.version,
            saved.id,
            settlement.version,
        )
        with self._db.atomic():
            updated = self._db.execute(_UPDATE, values).rowcount
        if updated != 1:
            raise ConcurrentUpdate(settlement.id, settlement.version)
        return saved

    def find(
        self,
        phases: Collection[Phase],
        *,
        consumer: str | None = None,
        due_before_ms: int | None = None,
        limit: int = 100,
    ) -> list[Settlement]:
        wanted = sorted(phase.value for phase in phases)
        if not wanted:
            return []
        where = [f"phase IN ({', '.join('?' * len(wanted))})"]
        parameters: list[Any] = list(wanted)
        if consumer is not None:
            where.append("consumer = ?")
            parameters.append(consumer)
        if due_before_ms is not None:
            where.append("deadline_ms <= ?")
            parameters.append(due_before_ms)
        query = f"WHERE {' AND '.join(where)} ORDER BY created_at_ms, contract_id LIMIT ?"
        # the query holds placeholders only: every value travels as a parameter
        rows = self._db.rows(_SELECT + query, (*parameters, limit))
        return [_settlement(row) for row in rows]


def _row(settlement: Settlement) -> tuple[Any, ...]:
    contract, payment = settlement.contract, settlement.payment
    return (
        contract.id,
        contract.provider,
        contract.consumer,
        contract.quantity,
        contract.unit_price,
        contract.created_at_ms,
        contract.kind,
        contract.value,
        settlement.phase.value,
        settlement.updated_at_ms,
        settlement.deadline_ms,
        settlement.reminders,
        payment.message_id if payment else None,
        payment.raw if payment else None,
        payment.amount if payment else None,
        settlement.version,
    )


def _settlement(row: tuple[Any, ...]) -> Settlement:
    contract = Contract(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7])
    payment = None if row[12] is None else PreparedPayment(bytes(row[12]), bytes(row[13]), row[14])
    return Settlement(contract, Phase(row[8]), row[9], row[10], row[11], payment, row[15])
