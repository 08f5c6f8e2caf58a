"""``plaza bench market --postgres URL --workers 2`` on a tiny plan, for real.

``plaza market run`` is started as a process twice (one worker, then two) on fresh
schemas of the test database; the traders make their contracts through it, and the
journal holds exactly one per request. Speed is read off the benchmark's output, never
asserted. Skipped locally without PostgreSQL; in CI (``CI=true``) a missing server fails.
"""

from __future__ import annotations

import json

import psycopg
import pytest
from postgres_support import postgres_dsn
from typer.testing import CliRunner

from plaza.cli.main import app

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

_IN_PROCESS_PART = ["--operations", "100", "--rounds", "1", "--clear-small", "10"]
_IN_PROCESS_PART += ["--clear-large", "10", "--service-operations", "10", "--no-e2e"]


def _schemas(dsn: str) -> set[str]:
    query = "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'plaza_bench_%'"
    with psycopg.connect(dsn) as conn:
        return {name for (name,) in conn.execute(query)}


def test_two_workers_on_postgresql_are_measured_against_one() -> None:
    dsn = postgres_dsn()
    before = _schemas(dsn)
    e2e = ["--e2e-threads", "2", "--e2e-pairs", "3", "--no-e2e-ledger"]
    args = ["bench", "market", "--json", *_IN_PROCESS_PART, *e2e, "--postgres", dsn]
    result = CliRunner().invoke(app, [*args, "--workers", "2"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["operations"] == 100  # the in-process part's keys are all still there
    assert figures["e2e_contracts_per_s"] is None  # --no-e2e: no SQLite figures
    assert figures["e2e_pg_workers"] == 2
    assert figures["e2e_pg_contracts"] == 2 * 3  # in the journal, each match once
    one, two = figures["e2e_pg_1_worker_contracts_per_s"], figures["e2e_pg_contracts_per_s"]
    assert one > 0
    assert two > 0
    assert figures["e2e_pg_workers_vs_1"] == pytest.approx(two / one, abs=0.01)
    assert 0 < figures["e2e_pg_1_worker_p99_s"] < 60
    assert 0 < figures["e2e_pg_p99_s"] < 60
    assert "e2e_pg_twin_lag_p99_s" not in figures  # no ledger, no twins: not a figure of 0
    assert _schemas(dsn) <= before  # each run's schema dropped


def test_workers_without_postgres_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["bench", "market", "--workers", "2"])
    assert result.exit_code == 2
    assert "--postgres" in result.output
