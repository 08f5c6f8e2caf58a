"""Fixtures that give the contract suite one store per backend.

PostgreSQL tests use a fresh random schema each and drop it afterwards. When no
server answers they are skipped locally, but fail in CI (``CI=true``), where a
skipped database suite would silently pass.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from postgres_support import postgres_dsn as reachable_postgres
from psycopg import sql
from tangle_backends import Backend

from plaza.ledger.ports import TangleStore
from plaza.storage import MemoryTangleStore
from plaza.storage.postgres import PostgresTangleStore
from plaza.storage.sqlite import SqliteTangleStore


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """A DSN that works: ``PLAZA_TEST_POSTGRES_DSN`` if set, else the local defaults."""
    return reachable_postgres()


def _sqlite_backend(path: Path) -> Backend:
    def execute(statement: str, params: tuple[object, ...] = ()) -> None:
        conn = sqlite3.connect(path)
        try:
            with conn:
                conn.execute(statement, params)
        finally:
            conn.close()

    def set_version(version: int) -> None:
        execute("UPDATE schema_version SET version = ?", (version,))

    return Backend(
        "sqlite", lambda: SqliteTangleStore(path), set_version=set_version, execute=execute
    )


def _postgres_backend(dsn: str, schema: str) -> Backend:
    def set_version(version: int) -> None:
        query = sql.SQL("UPDATE {}.schema_version SET version = %s").format(sql.Identifier(schema))
        with psycopg.connect(dsn) as conn:
            conn.execute(query, (version,))

    def execute(statement: str) -> None:
        with psycopg.connect(dsn) as conn:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            conn.execute(statement.encode())

    return Backend(
        "postgres",
        lambda: PostgresTangleStore(dsn, schema=schema),
        set_version=set_version,
        execute=execute,
    )


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "memory":
        chosen = Backend("memory", MemoryTangleStore)
    elif request.param == "sqlite":
        chosen = _sqlite_backend(tmp_path / "tangle.sqlite")
    else:
        dsn: str = request.getfixturevalue("postgres_dsn")
        schema = f"plaza_test_{uuid.uuid4().hex}"
        chosen = _postgres_backend(dsn, schema)
    try:
        yield chosen
    finally:
        chosen.close_all()
        if request.param == "postgres":
            drop = sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(drop)


@pytest.fixture
def store(backend: Backend) -> TangleStore:
    return backend.open()
