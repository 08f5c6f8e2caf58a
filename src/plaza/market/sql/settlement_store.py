"""The SQL adapter of :class:`~plaza.market.settlement.ports.SettlementStore`.

``save`` is one ``UPDATE ... WHERE version = :expected``: the row count says whether
another worker got there first, and the database makes that decision atomically
on both engines, so two workers can never both move one contract.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Any

from sqlalchemy import Engine, Row, select, update
from sqlalchemy.dialects import postgresql, sqlite

from plaza.market.settlement.errors import ConcurrentUpdate
from plaza.market.settlement.model import Contract, Phase, PreparedPayment, Settlement
from plaza.market.sql.engine import reading, translated, writing
from plaza.market.sql.settlement_tables import settlements

__all__ = ["SqlSettlementStore"]


def _values(settlement: Settlement) -> dict[str, Any]:
    contract, payment = settlement.contract, settlement.payment
    return {
        "contract_id": contract.id,
        "provider": contract.provider,
        "consumer": contract.consumer,
        "quantity": contract.quantity,
        "unit_price": contract.unit_price,
        "created_at_ms": contract.created_at_ms,
        "kind": contract.kind or None,
        "value": contract.value,
        "phase": settlement.phase.value,
        "updated_at_ms": settlement.updated_at_ms,
        "deadline_ms": settlement.deadline_ms,
        "reminders": settlement.reminders,
        "payment_message_id": payment.message_id if payment else None,
        "payment_raw": payment.raw if payment else None,
        "payment_amount": payment.amount if payment else None,
        "version": settlement.version,
    }


def _settlement(row: Row[Any]) -> Settlement:
    contract = Contract(
        row.contract_id,
        row.provider,
        row.consumer,
        row.quantity,
        row.unit_price,
        row.created_at_ms,
        row.kind or "",
        row.value,
    )
    payment = None
    if row.payment_message_id is not None:
        payment = PreparedPayment(
            bytes(row.payment_message_id), bytes(row.payment_raw), row.payment_amount
        )
    return Settlement(
        contract=contract,
        phase=Phase(row.phase),
        updated_at_ms=row.updated_at_ms,
        deadline_ms=row.deadline_ms,
        reminders=row.reminders,
        payment=payment,
        version=row.version,
    )


class SqlSettlementStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        dialect = {"sqlite": sqlite, "postgresql": postgresql}[engine.dialect.name]
        self._insert = dialect.insert

    def get(self, contract_id: str) -> Settlement | None:
        query = select(settlements).where(settlements.c.contract_id == contract_id)
        with translated("reading a settlement"), reading(self._engine) as conn:
            row = conn.execute(query).first()
        return None if row is None else _settlement(row)

    def create(self, settlement: Settlement) -> Settlement:
        statement = self._insert(settlements).values(**_values(settlement))
        with translated("creating a settlement"), writing(self._engine) as conn:
            inserted = conn.execute(statement.on_conflict_do_nothing()).rowcount
            if inserted == 1:
                return settlement
            query = select(settlements).where(settlements.c.contract_id == settlement.id)
            return _settlement(conn.execute(query).one())

    def save(self, settlement: Settlement) -> Settlement:
        saved = replace(settlement, version=settlement.version + 1)
        statement = (
            update(settlements)
            .where(settlements.c.contract_id == settlement.id)
            .where(settlements.c.version == settlement.version)
            .values(**_values(saved))
        )
        with translated("saving a settlement"), writing(self._engine) as conn:
            updated = conn.execute(statement).rowcount
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
        query = select(settlements).where(settlements.c.phase.in_([p.value for p in phases]))
        if consumer is not None:
            query = query.where(settlements.c.consumer == consumer)
        if due_before_ms is not None:
            query = query.where(settlements.c.deadline_ms <= due_before_ms)
        order = (settlements.c.created_at_ms, settlements.c.contract_id)
        with translated("finding settlements"), reading(self._engine) as conn:
            rows = conn.execute(query.order_by(*order).limit(limit)).all()
        return [_settlement(row) for row in rows]
