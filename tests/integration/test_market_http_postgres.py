"""The marketplace on PostgreSQL (by URL, in a schema of its own), served for real.

Skipped locally without a server (``PLAZA_TEST_POSTGRES_DSN`` or the local
defaults); in CI, where the server exists, an unreachable one fails the test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from market_server import HOUR_MS, serve_market
from node_server import RunningNode
from postgres_support import fresh_schema
from psycopg import sql

from plaza.bootstrap import SystemClock
from plaza.clients.market import OrderTerms
from plaza.crypto import Identity
from plaza.market.auth import Role

pytestmark = pytest.mark.postgres


@pytest.fixture
def schema() -> Iterator[tuple[str, str]]:
    with fresh_schema("plaza_market_http") as made:
        yield made


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


def test_twins_of_a_marketplace_on_postgresql_reach_the_ledger_once(
    schema: tuple[str, str], tmp_path: Path, node: RunningNode
) -> None:
    """The twin outbox on PostgreSQL: a trade's states staged there, all written, each once."""
    dsn, name = schema
    now = SystemClock().now_ms()
    terms = OrderTerms("energy", 10, 3, now, now + HOUR_MS)
    with serve_market(
        tmp_path, database_url=dsn, database_schema=name, node_url=node.url
    ) as market:
        with (
            market.client(Identity.generate()) as seller,
            market.client(Identity.generate()) as buyer,
        ):
            seller.register("solar", roles=[Role.PROVIDER])
            buyer.register("ev", roles=[Role.CONSUMER])
            seller.offer(terms)
            [record] = buyer.request(terms).contracts
            buyer.report_delivery(record.id)
        twins = market.runtime.services.twins
        assert twins is not None
        deadline = time.monotonic() + 30
        while twins.statistics()["queued"]:
            assert time.monotonic() < deadline, "the twin outbox never emptied"
            time.sleep(0.1)
        auditor = market.runtime.services.auditor
        assert auditor is not None
        report = auditor.audit_contract(record.id)
        assert report.clean, report.problems
        assert [entry.step for entry in report.entries] == [1, 2, 3]
    with psycopg.connect(dsn) as conn:
        query = sql.SQL(
            "SELECT count(*), count(DISTINCT message_id), count(written_at_ms) FROM {}.twin_outbox"
        ).format(sql.Identifier(name))
        row = conn.execute(query).fetchone()
    assert row is not None
    total, distinct, written = row
    assert total == written == distinct  # every state written, each its own message
    assert total >= 8  # two orders' states, the contract on three twins, two settlement states
