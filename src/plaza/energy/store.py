"""What the energy modules' SQL stores share: JSON kept as one text, the seed's ``log`` table,
and a module's file on the market's engine.

:class:`SqlFile` opens a module's SQLite file with the market's engine
(:func:`~plaza.market.sql.make_engine`), so the market's SQL stores (the marketplace's
:class:`~plaza.market.sql.SqlSettlementStore`) work on it beside the module's own tables,
and :meth:`SqlFile.atomic` (the market's unit of work) commits both together. It offers
the statements of :class:`~plaza.sqlite.SqliteFile`, so a store's SQL reads the same on
either.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import CursorResult, Table

from plaza.market.sql import make_engine, reading, sqlite_url, writing
from plaza.market.sql.engine import unit_of_work
from plaza.sqlite import SqliteFile

__all__ = ["LOG_SCHEMA", "SqlFile", "SqlOperationLog"]

#: The seed's ``log`` table, as the marketplace and the bid manager keep it.
LOG_SCHEMA = """CREATE TABLE IF NOT EXISTS log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, operation TEXT NOT NULL,
    record_id TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL)"""
_LOG_COLUMNS = ("at_ms", "operation", "record_id", "outcome", "detail")


class SqlFile:
    """A module's file on the market's engine: ``schema`` (statements) and the market's
    ``tables`` made on open; statements with parameters only, each in its own transaction
    or, inside :meth:`atomic`, in the unit of work's."""

    def __init__(self, path: Path, schema: Sequence[str], tables: Sequence[Table] = ()) -> None:
        SqliteFile(path).close()  # the file, and so its WAL files, readable by its owner only
        self.engine = make_engine(sqlite_url(path))
        with writing(self.engine) as conn:
            for statement in schema:
                conn.exec_driver_sql(statement)
        for table in tables:
            table.create(self.engine, checkfirst=True)

    def atomic(self) -> AbstractContextManager[None]:
        return unit_of_work(self.engine)

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> CursorResult[Any]:
        with writing(self.engine) as conn:
            return conn.exec_driver_sql(sql, tuple(parameters))

    def rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with reading(self.engine) as conn:
            return [tuple(row) for row in conn.exec_driver_sql(sql, tuple(parameters))]

    def row(self, sql: str, parameters: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        found = self.rows(sql, parameters)
        return found[0] if found else None

    def count(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        found = self.row(sql, parameters)
        return 0 if found is None else int(found[0])

    def close(self) -> None:
        self.engine.dispose()


class _Statements(Protocol):
    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> object: ...

    def rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...


class SqlOperationLog:
    """The seed's ``log`` table (:data:`LOG_SCHEMA`) of a store whose ``_db`` runs statements
    (a :class:`SqlFile` or a :class:`~plaza.sqlite.SqliteFile`)."""

    _db: _Statements

    def log(
        self, *, now_ms: int, operation: str, record_id: str, outcome: str, detail: str
    ) -> None:
        self._db.execute(
            "INSERT INTO log (at_ms, operation, record_id, outcome, detail) VALUES (?, ?, ?, ?, ?)",
            (now_ms, operation, record_id, outcome, detail),
        )

    def log_entries(self, *, limit: int = 1000) -> list[dict[str, Any]]:
        """The newest log lines first (for operators and tests)."""
        rows = self._db.rows(
            "SELECT at_ms, operation, record_id, outcome, detail FROM log ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [dict(zip(_LOG_COLUMNS, row, strict=True)) for row in rows]
