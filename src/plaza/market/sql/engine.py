"""Engines for the marketplace database: SQLite files for one process, PostgreSQL to share.

One factory, so every engine is configured the same way:

* **SQLite**: WAL (readers never wait for the writer), ``foreign_keys=ON`` (off by
  default in SQLite!), ``synchronous=NORMAL`` (a commit survives a killed
  process), a busy timeout. pysqlite's own transaction handling is switched off
  and replaced by explicit ``BEGIN IMMEDIATE`` for writes and ``BEGIN`` for
  reads: a write transaction takes the write lock up front, so two writers
  queue on the busy timeout instead of one failing when it upgrades a read lock.
* **PostgreSQL**: psycopg 3 (``postgresql://`` is taken to mean it), pre-ping so
  a restarted server costs one reconnect, and an optional ``schema`` put first on
  the search path (how tests, and several marketplaces, share one database).

Use :func:`writing` and :func:`reading` for transactions: both commit or roll
back on exit, and on SQLite pick the right kind of ``BEGIN``. :func:`unit_of_work`
makes every one of them on the engine, in this thread, one transaction (a state
change and the twin states it causes, :mod:`plaza.market.units`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from plaza.market.sql.errors import MarketStorageError, UnsupportedDatabase

__all__ = [
    "SqlUnitOfWork",
    "make_engine",
    "reading",
    "sqlite_url",
    "translated",
    "unit_of_work",
    "writing",
]

_BUSY_TIMEOUT_MS = 5000
_READ_ONLY = "plaza_read_only"  # our execution option: which BEGIN a SQLite transaction gets
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def sqlite_url(path: str | Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{Path(path)}"


def make_engine(url: str | URL, *, schema: str | None = None, echo: bool = False) -> Engine:
    """An engine for ``url``; dispose of it when done (it owns a connection pool).

    ``schema`` (PostgreSQL only) must already exist; it is put first on the
    search path, so tables and the migration history live in it.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite" and parsed.drivername in {"sqlite", "sqlite+pysqlite"}:
        if schema is not None:
            raise ValueError("SQLite has no schemas; use one file per marketplace")
        return _sqlite_engine(parsed, echo=echo)
    if backend == "postgresql" and parsed.drivername in {"postgresql", "postgresql+psycopg"}:
        return _postgres_engine(parsed.set(drivername="postgresql+psycopg"), schema, echo=echo)
    raise UnsupportedDatabase(parsed.drivername)


def _sqlite_engine(url: URL, *, echo: bool) -> Engine:
    memory = url.database in {None, "", ":memory:"}
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False},
        # An in-memory database lives in one connection: share it, or each would see its own.
        poolclass=StaticPool if memory else None,
    )
    event.listen(engine, "connect", _configure_sqlite)
    event.listen(engine, "begin", _begin_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Per new connection: take transactions away from pysqlite, then set the pragmas."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in (
            "journal_mode = WAL",
            "foreign_keys = ON",
            "synchronous = NORMAL",
            f"busy_timeout = {_BUSY_TIMEOUT_MS}",
        ):
            cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def _begin_sqlite(connection: Connection) -> None:
    read_only = connection.get_execution_options().get(_READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _postgres_engine(url: URL, schema: str | None, *, echo: bool) -> Engine:
    # Which process a session belongs to, in pg_stat_activity: with several workers on
    # one database, an operator (or a fault test) can tell who holds which lock.
    connect_args: dict[str, Any] = {"application_name": f"plaza pid {os.getpid()}"}
    if schema is not None:
        if not _SCHEMA_NAME.fullmatch(schema):
            raise ValueError("a schema name is lower-case letters, digits and underscores")
        connect_args["options"] = f"-c search_path={schema}"
    return create_engine(url, echo=echo, pool_pre_ping=True, connect_args=connect_args)


#: The transaction of the unit of work open in this thread (or task), and its engine.
_UNIT: ContextVar[tuple[Engine, Connection] | None] = ContextVar("plaza_market_unit", default=None)


def _joined(engine: Engine) -> Connection | None:
    unit = _UNIT.get()
    return unit[1] if unit is not None and unit[0] is engine else None


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction: committed on exit, rolled back on an exception. Inside a
    :func:`unit_of_work` on the same engine, the unit's transaction instead."""
    joined = _joined(engine)
    if joined is not None:
        yield joined
        return
    with engine.begin() as connection:
        yield connection


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """One read transaction: a consistent view, without the SQLite write lock. Inside a
    :func:`unit_of_work` on the same engine, the unit's transaction (it sees its writes)."""
    joined = _joined(engine)
    if joined is not None:
        yield joined
        return
    with engine.connect() as connection:
        connection.execution_options(**{_READ_ONLY: True})
        with connection.begin():
            yield connection


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[None]:
    """Every :func:`writing` and :func:`reading` on ``engine`` in this thread, until exit, in
    one write transaction: committed at the end, rolled back on an exception. A unit
    opened inside another on the same engine joins it."""
    if _joined(engine) is not None:
        yield
        return
    with engine.begin() as connection:
        token = _UNIT.set((engine, connection))
        try:
            yield
        finally:
            _UNIT.reset(token)


class SqlUnitOfWork:
    """:class:`~plaza.market.units.UnitOfWork` on one engine: the stores on it commit together."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __call__(self) -> AbstractContextManager[None]:
        return unit_of_work(self._engine)


@contextmanager
def translated(what: str) -> Iterator[None]:
    """Turn SQLAlchemy's exceptions into :class:`MarketStorageError` naming ``what`` failed.

    The message takes the driver's own text, not SQLAlchemy's, which appends the
    statement's parameters: values belong in debug logs, not in errors.
    """
    try:
        yield
    except SQLAlchemyError as error:
        detail = error.orig if isinstance(error, DBAPIError) else type(error).__name__
        raise MarketStorageError(f"{what} failed: {detail}") from error
