"""The SQL adapter of :class:`~plaza.market.twins.ports.TwinDirectory`.

Progress only moves forward, and the database decides that: ``advance`` is one
``UPDATE`` whose new values are ``CASE`` expressions over the stored ones, and
the journal mark is an upsert keeping the larger step, so two recorders racing
(or a retry arriving late) can never move a twin back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Row, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from plaza.market.sql.engine import reading, translated, writing
from plaza.market.sql.twin_tables import twin_progress, twins
from plaza.market.twins.documents import TwinKind
from plaza.market.twins.ports import TwinRecord

__all__ = ["SqlTwinDirectory"]

_ORDERS = "orders"


def _record(row: Row[Any]) -> TwinRecord:
    return TwinRecord(
        kind=TwinKind(row.kind),
        record_id=row.record_id,
        channel_id=bytes(row.channel_id),
        cursor_store=row.cursor_store,
        created_at_ms=row.created_at_ms,
        last_step=row.last_step,
        position=row.position,
        ready=bool(row.ready),
    )


def _larger(column: Any, value: int) -> Any:
    return case((column < value, value), else_=column)


class SqlTwinDirectory:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        dialect = {"sqlite": sqlite, "postgresql": postgresql}[engine.dialect.name]
        self._insert = dialect.insert

    def _where(self, kind: TwinKind, record_id: str) -> Any:
        return (twins.c.kind == kind.value) & (twins.c.record_id == record_id)

    def get(self, kind: TwinKind, record_id: str) -> TwinRecord | None:
        query = select(twins).where(self._where(kind, record_id))
        with translated("reading a twin"), reading(self._engine) as conn:
            row = conn.execute(query).first()
        return None if row is None else _record(row)

    def add(self, record: TwinRecord) -> TwinRecord:
        statement = self._insert(twins).values(
            kind=record.kind.value,
            record_id=record.record_id,
            channel_id=record.channel_id,
            cursor_store=record.cursor_store,
            created_at_ms=record.created_at_ms,
            last_step=record.last_step,
            position=record.position,
            ready=record.ready,
        )
        query = select(twins).where(self._where(record.kind, record.record_id))
        with translated("adding a twin"), writing(self._engine) as conn:
            conn.execute(statement.on_conflict_do_nothing())
            return _record(conn.execute(query).one())

    def advance(
        self, kind: TwinKind, record_id: str, *, step: int, position: int, ready: bool = False
    ) -> TwinRecord:
        values: dict[str, Any] = {
            "last_step": _larger(twins.c.last_step, step),
            "position": _larger(twins.c.position, position),
        }
        if ready:
            values["ready"] = True
        where = self._where(kind, record_id)
        with translated("advancing a twin"), writing(self._engine) as conn:
            conn.execute(update(twins).where(where).values(**values))
            row = conn.execute(select(twins).where(where)).first()
        if row is None:
            raise KeyError(f"no {kind.value} twin of {record_id!r}")
        return _record(row)

    def recorded_through(self) -> int:
        query = select(twin_progress.c.step).where(twin_progress.c.name == _ORDERS)
        with translated("reading the twin progress"), reading(self._engine) as conn:
            step = conn.execute(query).scalar()
        return 0 if step is None else int(step)

    def set_recorded_through(self, step: int) -> None:
        statement = self._insert(twin_progress).values(name=_ORDERS, step=step)
        statement = statement.on_conflict_do_update(
            index_elements=[twin_progress.c.name],
            set_={"step": _larger(twin_progress.c.step, step)},
        )
        with translated("saving the twin progress"), writing(self._engine) as conn:
            conn.execute(statement)

    def statistics(self) -> dict[str, int]:
        query = select(twins.c.kind, func.count()).group_by(twins.c.kind)
        with translated("counting twins"), reading(self._engine) as conn:
            counts = {kind: int(count) for kind, count in conn.execute(query).all()}
        stats = {f"{kind.value}_twins": counts.get(kind.value, 0) for kind in TwinKind}
        return {**stats, "through": self.recorded_through()}
