"""The marketplace's lease: one worker process holds it at a time, and when that worker's
connection dies (the process was killed) the next one to ask takes it. On SQLite, which
serves one process, the lease is always held."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from market_sql_backends import fresh_engine
from sqlalchemy import Engine, text

from plaza.market.leases import SoleLease
from plaza.market.sql import lease as leases
from plaza.market.sql import make_engine
from plaza.market.sql.lease import SqlLease, lease_for

pytestmark = pytest.mark.postgres

#: Ends the session of this schema's lease holder (the lock's second key is the schema's
#: hash, as an oid) and waits up to 10 s for it to be gone: a terminated backend frees its
#: locks as it exits, after ``pg_terminate_backend`` without a timeout has returned.
_KILL_HOLDER = text(
    "SELECT pg_terminate_backend(pid, 10000) FROM pg_locks WHERE locktype = 'advisory'"
    " AND granted AND classid = :space"
    " AND objid::bigint = (hashtext(current_schema())::bigint & 4294967295)"
)


@pytest.fixture
def engines(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one schema, as two worker processes have."""
    with fresh_engine("postgres", request, tmp_path) as first:
        with first.connect() as conn:
            schema = str(conn.execute(text("SELECT current_schema()")).scalar_one())
        second = make_engine(first.url, schema=schema)
        try:
            yield first, second
        finally:
            second.dispose()


@pytest.fixture
def two(engines: tuple[Engine, Engine]) -> Iterator[tuple[SqlLease, SqlLease]]:
    """The lease as two workers ask for it; given up at the end, whatever the test left."""
    first, second = (SqlLease(engine) for engine in engines)
    try:
        yield first, second
    finally:
        second.close()
        first.close()


def test_one_worker_holds_the_lease_until_it_gives_it_up(
    two: tuple[SqlLease, SqlLease],
) -> None:
    first, second = two
    assert (first.held(), second.held()) == (True, False)
    assert (first.held(), second.held()) == (True, False), "held until given up"
    first.close()
    assert (second.held(), first.held()) == (True, False)
    assert (first.generation, second.generation) == (1, 1)
    second.close()


def test_a_killed_holders_lease_goes_to_the_next_worker_that_asks(
    engines: tuple[Engine, Engine], two: tuple[SqlLease, SqlLease], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(leases, "CHECK_INTERVAL_S", 0.0)
    first, second = two
    assert first.held()
    with engines[1].connect() as admin:  # the holder's process dies: its session ends
        killed = admin.execute(_KILL_HOLDER, {"space": 0x706C7A6C}).scalars().all()
    assert killed == [True]
    assert second.held(), "taken over"
    assert not first.held(), "the old holder learns it lost the lease"
    assert not first.held(), "and cannot take it back while the new holder lives"
    second.close()
    assert first.held()
    assert first.generation == 2, "a new generation: its caches are stale"
    first.close()


def test_a_marketplace_on_sqlite_is_one_process_whose_lease_is_always_held(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'market.sqlite3'}")
    try:
        assert isinstance(lease_for(engine), SoleLease)
    finally:
        engine.dispose()
