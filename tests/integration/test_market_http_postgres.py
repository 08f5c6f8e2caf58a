"""The marketplace on PostgreSQL (by URL, in a schema of its own), served for real.

Skipped locally without a server (``PLAZA_TEST_POSTGRES_DSN`` or the local
defaults); in CI, where the server exists, an unreachable one fails the test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from market_server import HOUR_MS, serve_market
from psycopg import sql

from plaza.bootstrap import SystemClock
from plaza.clients.market import OrderTerms
from plaza.crypto import Identity
from plaza.market.auth import Role

pytestmark = pytest.mark.postgres

_CANDIDATES = ("postgresql://postgres@localhost:5432/test", "postgresql://root@localhost:5432/test")


def _dsn() -> str:
    override = os.environ.get("PLAZA_TEST_POSTGRES_DSN")
    for dsn in (override,) if override else _CANDIDATES:
        try:
            with psycopg.connect(dsn, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error:
            continue
        return dsn
    if os.environ.get("CI") == "true":
        pytest.fail("PostgreSQL not reachable; in CI the PostgreSQL tests must run")
    pytest.skip("PostgreSQL not reachable")


@pytest.fixture
def schema() -> Iterator[tuple[str, str]]:
    dsn, name = _dsn(), f"plaza_market_http_{uuid.uuid4().hex}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        yield dsn, name
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


def test_a_contract_through_a_marketplace_on_postgresql(
    schema: tuple[str, str], tmp_path: Path
) -> None:
    dsn, name = schema
    now = SystemClock().now_ms()
    terms = OrderTerms("energy", 10, 3, now, now + HOUR_MS)
    with (
        serve_market(tmp_path, database_url=dsn, database_schema=name) as market,
        market.client(Identity.generate()) as seller,
        market.client(Identity.generate()) as buyer,
    ):
        seller.register("solar", roles=[Role.PROVIDER])
        buyer.register("ev", roles=[Role.CONSUMER])
        seller.offer(terms)
        [record] = buyer.request(terms).contracts
        assert seller.contract(record.id).signed == record.signed
    with psycopg.connect(dsn) as conn:
        query = sql.SQL("SELECT count(*) FROM {}.participants").format(sql.Identifier(name))
        row = conn.execute(query).fetchone()
    assert row is not None
    assert row[0] == 2
