"""Marketplace databases for the contract suites: a migrated engine per test, and auth stores.

SQLite gets a fresh file in ``tmp_path``; PostgreSQL a fresh schema, dropped
afterwards (the ``postgres_dsn`` fixture of ``conftest.py`` skips locally and
fails in CI when no server answers). Every engine is disposed at the end, so no
connection outlives its test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine

from plaza.market.auth import (
    ApiKeyStore,
    MemoryApiKeyStore,
    MemoryNonceStore,
    MemoryParticipantStore,
    NonceStore,
    ParticipantStore,
)
from plaza.market.sql import (
    SqlApiKeyStore,
    SqlNonceStore,
    SqlParticipantStore,
    make_engine,
    sqlite_url,
    upgrade_schema,
)

#: Parameters for a fixture over every adapter; PostgreSQL marked so it can be deselected.
ALL_BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
SQL_BACKENDS = ALL_BACKENDS[1:]


@contextmanager
def fresh_engine(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, *, migrate: bool = True
) -> Iterator[Engine]:
    """An engine on an empty database of ``kind`` (migrated to head unless told not to)."""
    if kind == "sqlite":
        engine = make_engine(sqlite_url(tmp_path / "market.sqlite"))
        try:
            if migrate:
                upgrade_schema(engine)
            yield engine
        finally:
            engine.dispose()
        return
    dsn: str = request.getfixturevalue("postgres_dsn")
    schema = f"plaza_market_test_{uuid.uuid4().hex}"
    name = sql.Identifier(schema)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(name))
    engine = make_engine(dsn, schema=schema)
    try:
        if migrate:
            upgrade_schema(engine)
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(name))


@dataclass(frozen=True)
class AuthStores:
    """One backend's three auth stores; ``engine`` is ``None`` for memory."""

    name: str
    participants: ParticipantStore
    api_keys: ApiKeyStore
    nonces: NonceStore
    engine: Engine | None = None


@contextmanager
def auth_stores(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AuthStores]:
    if kind == "memory":
        participants = MemoryParticipantStore()
        yield AuthStores(kind, participants, MemoryApiKeyStore(participants), MemoryNonceStore())
        return
    with fresh_engine(kind, request, tmp_path) as engine:
        yield AuthStores(
            kind, SqlParticipantStore(engine), SqlApiKeyStore(engine), SqlNonceStore(engine), engine
        )
