"""The PostgreSQL the tests run against, and fresh schemas in it.

``PLAZA_TEST_POSTGRES_DSN`` if set, else the local server as this machine kind runs it
(trust authentication, database ``test``). Without a reachable server a test is skipped
locally; in CI (``CI=true``) it fails, since there the PostgreSQL tests must run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import sql

__all__ = ["fresh_schema", "postgres_dsn"]

_CANDIDATES = ("postgresql://postgres@localhost:5432/test", "postgresql://root@localhost:5432/test")


def _reachable(dsn: str) -> bool:
    try:
        with psycopg.connect(dsn, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def postgres_dsn() -> str:
    """A DSN that answers; skips the test (fails it in CI) when none does."""
    override = os.environ.get("PLAZA_TEST_POSTGRES_DSN")
    candidates = (override,) if override else _CANDIDATES
    for dsn in candidates:
        if _reachable(dsn):
            return dsn
    reason = f"PostgreSQL not reachable at any of {candidates}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; in CI the PostgreSQL tests must run")
    pytest.skip(reason)


@contextmanager
def fresh_schema(prefix: str) -> Iterator[tuple[str, str]]:
    """The DSN and a new, empty schema named ``<prefix>_<random>``, dropped afterwards."""
    dsn, name = postgres_dsn(), f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        yield dsn, name
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
