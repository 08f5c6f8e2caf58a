"""The SQL adapter of :class:`~plaza.market.twins.outbox.TwinOutbox`: the twin outbox.

Staging is ``INSERT ... ON CONFLICT DO NOTHING`` on the state's identity (twin, document
type, record, step), so the database, not a read before the write, keeps a state from
being staged twice; the journal mark moves in the same transaction. Marking rows written
updates the ``twins`` directory's progress in the same transaction too (``CASE``: never
back), which is what lets a restarted publisher trust either both or neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Engine, Row, bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from plaza.market.sql.engine import reading, translated, writing
from plaza.market.sql.outbox_tables import twin_outbox
from plaza.market.sql.twin_tables import twin_progress, twins
from plaza.market.twins.documents import TwinKind
from plaza.market.twins.outbox import PendingState, Progress, TwinState, Written

__all__ = ["SqlTwinOutbox"]

_ORDERS = "orders"  # the journal mark's name, as SqlTwinDirectory keeps it
_OUT = twin_outbox.c


def _larger(column: Any, value: Any) -> Any:
    return case((column < value, value), else_=column)


def _pending(row: Row[Any]) -> PendingState:
    state = TwinState(
        TwinKind(row.twin_kind),
        row.twin_id,
        row.doc_type,
        row.record,
        row.step,
        tuple(row.parties.split()),
        bytes(row.document),
    )
    return PendingState(row.seq, state, row.committed_at_ms)


def _row(state: TwinState, at_ms: int) -> dict[str, Any]:
    return {
        "twin_kind": state.kind.value,
        "twin_id": state.twin_id,
        "doc_type": state.doc_type,
        "record": state.record,
        "step": state.step,
        "parties": " ".join(state.parties),
        "document": state.document,
        "committed_at_ms": at_ms,
    }


class SqlTwinOutbox:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._insert = _dialect_insert(engine)

    def stage(self, states: Sequence[TwinState], *, at_ms: int, orders_through: int = 0) -> int:
        added = 0
        with translated("staging twin states"), writing(self._engine) as conn:
            for state in states:
                statement = self._insert(twin_outbox).values(**_row(state, at_ms))
                statement = statement.on_conflict_do_nothing().returning(_OUT.seq)
                added += conn.execute(statement).first() is not None
            if orders_through:
                mark = self._insert(twin_progress).values(name=_ORDERS, step=orders_through)
                mark = mark.on_conflict_do_update(
                    index_elements=[twin_progress.c.name],
                    set_={"step": _larger(twin_progress.c.step, orders_through)},
                )
                conn.execute(mark)
        return added

    def staged_step(self, kind: TwinKind, twin_id: str) -> int:
        query = select(func.max(_OUT.step)).where(
            (_OUT.twin_kind == kind.value) & (_OUT.twin_id == twin_id)
        )
        with translated("reading a twin's staged step"), reading(self._engine) as conn:
            step = conn.execute(query).scalar()
        return 0 if step is None else int(step)

    def pending(self, limit: int) -> list[PendingState]:
        query = select(twin_outbox).where(_OUT.written_at_ms.is_(None)).order_by(_OUT.seq)
        with translated("reading pending twin states"), reading(self._engine) as conn:
            return [_pending(row) for row in conn.execute(query.limit(limit))]

    def pending_of(self, kind: TwinKind, twin_id: str) -> list[PendingState]:
        where = (
            _OUT.written_at_ms.is_(None)
            & (_OUT.twin_kind == kind.value)
            & (_OUT.twin_id == twin_id)
        )
        query = select(twin_outbox).where(where).order_by(_OUT.seq)
        with translated("reading a twin's pending states"), reading(self._engine) as conn:
            return [_pending(row) for row in conn.execute(query)]

    def oldest_pending_ms(self) -> int | None:
        query = select(_OUT.committed_at_ms).where(_OUT.written_at_ms.is_(None))
        query = query.order_by(_OUT.seq).limit(1)  # the index on (written_at_ms, seq)
        with translated("reading the oldest pending twin state"), reading(self._engine) as conn:
            at = conn.execute(query).scalar()
        return None if at is None else int(at)

    def mark_written(
        self, written: Sequence[Written], progress: Sequence[Progress], *, at_ms: int
    ) -> None:
        with translated("marking twin states written"), writing(self._engine) as conn:
            if written:
                conn.execute(_MARK, [_mark(mark, at_ms) for mark in written])
            if progress:
                conn.execute(_ADVANCE, [_advance(twin) for twin in progress])

    def lags_ms(self) -> list[int]:
        lag = _OUT.written_at_ms - _OUT.committed_at_ms
        query = select(lag).where(_OUT.written_at_ms.is_not(None))
        with translated("reading twin lags"), reading(self._engine) as conn:
            return [int(value) for value in conn.execute(query).scalars()]

    def written_messages(self) -> list[tuple[int, bytes]]:
        query = select(_OUT.committed_at_ms, _OUT.message_id).where(_OUT.message_id.is_not(None))
        with translated("reading twin messages"), reading(self._engine) as conn:
            return [(int(at), bytes(message)) for at, message in conn.execute(query)]

    def counts(self) -> dict[str, int]:
        query = select(func.count(), func.count(_OUT.written_at_ms))
        with translated("counting twin states"), reading(self._engine) as conn:
            total, written = conn.execute(query).one()
        return {"pending": int(total) - int(written), "written": int(written)}


def _dialect_insert(engine: Engine) -> Any:
    return {"sqlite": sqlite, "postgresql": postgresql}[engine.dialect.name].insert


_MARK = (
    update(twin_outbox)
    .where((_OUT.seq == bindparam("b_seq")) & _OUT.written_at_ms.is_(None))
    .values(
        written_at_ms=bindparam("b_at"),
        written_step=bindparam("b_step"),
        position=bindparam("b_position"),
        message_id=bindparam("b_message"),
    )
)

_ADVANCE = (
    update(twins)
    .where((twins.c.kind == bindparam("b_kind")) & (twins.c.record_id == bindparam("b_id")))
    .values(
        last_step=_larger(twins.c.last_step, bindparam("b_step", type_=BigInteger)),
        position=_larger(twins.c.position, bindparam("b_position", type_=BigInteger)),
    )
)


def _mark(mark: Written, at_ms: int) -> dict[str, Any]:
    return {
        "b_seq": mark.seq,
        "b_at": at_ms,
        "b_step": mark.step,
        "b_position": mark.position,
        "b_message": mark.message_id,
    }


def _advance(twin: Progress) -> dict[str, Any]:
    return {
        "b_kind": twin.kind.value,
        "b_id": twin.twin_id,
        "b_step": twin.last_step,
        "b_position": twin.position,
    }
