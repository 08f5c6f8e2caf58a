"""The marketplace schema: migrations reach head from empty, match the tables, and engines
are configured as documented. SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from market_sql_backends import SQL_BACKENDS, fresh_engine
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError
from test_market_sql_api_keys import key
from test_market_sql_participants import participant

from plaza.market.sql import (
    MarketStorageError,
    SchemaDrift,
    SchemaNotCurrent,
    SqlApiKeyStore,
    SqlParticipantStore,
    UnsupportedDatabase,
    check_no_drift,
    check_schema_current,
    current_revision,
    downgrade_schema,
    head_revision,
    make_engine,
    reading,
    upgrade_schema,
    writing,
)
from plaza.market.sql.migrate import MIGRATIONS, autogenerate_revision

TABLES = {
    "participants",
    "participant_roles",
    "api_keys",
    "request_nonces",
    "settlements",
    "twins",
    "twin_progress",
    "assets",
    "asset_states",
    "market_journal",
    "accounts",
    "account_identities",
    "login_failures",
    "web_sessions",
    "twin_outbox",
    "wallet_backups",
    "alembic_version",
}


@pytest.fixture(params=SQL_BACKENDS)
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with fresh_engine(request.param, request, tmp_path, migrate=False) as engine:
        yield engine


def _tables(engine: Engine) -> set[str]:
    with reading(engine) as conn:
        return set(inspect(conn).get_table_names())


def test_an_empty_database_upgrades_to_head_without_drift(empty: Engine) -> None:
    assert current_revision(empty) is None
    with pytest.raises(SchemaNotCurrent) as refused:
        check_schema_current(empty)
    assert (refused.value.found, refused.value.head) == (None, head_revision())

    upgrade_schema(empty)
    assert current_revision(empty) == head_revision() == "0010"
    assert _tables(empty) == TABLES
    check_schema_current(empty)
    check_no_drift(empty)
    upgrade_schema(empty)  # at head: nothing to do
    assert current_revision(empty) == head_revision()


def test_downgrade_to_base_and_up_again(empty: Engine) -> None:
    upgrade_schema(empty)
    downgrade_schema(empty, "base")
    assert _tables(empty) == {"alembic_version"}
    upgrade_schema(empty)
    check_no_drift(empty)


def test_concurrent_upgrades_do_not_collide(empty: Engine) -> None:
    """Replicas starting together: each upgrade waits for the other's, then finds head."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def upgrade() -> None:
        barrier.wait()
        try:
            upgrade_schema(empty)
        except BaseException as error:  # reported below, on the test's thread
            errors.append(error)

    workers = [threading.Thread(target=upgrade) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    assert current_revision(empty) == head_revision()


def test_drift_is_reported(empty: Engine) -> None:
    upgrade_schema(empty)
    with writing(empty) as conn:
        conn.execute(text("CREATE TABLE stray (id INTEGER PRIMARY KEY)"))
    with pytest.raises(SchemaDrift) as drift:
        check_no_drift(empty)
    assert "stray" in str(drift.value)


def test_data_survives_a_new_engine_and_foreign_keys_hold(empty: Engine) -> None:
    upgrade_schema(empty)
    SqlParticipantStore(empty).add(participant(1))
    SqlApiKeyStore(empty).add(key(1, owner=participant(1).id))
    reopened = make_engine(empty.url, schema=_schema_of(empty))
    try:
        assert SqlParticipantStore(reopened).get(participant(1).id) == participant(1)
        with pytest.raises(IntegrityError), writing(reopened) as conn:
            conn.execute(text("DELETE FROM participants"))  # an API key still refers to it
    finally:
        reopened.dispose()


def _schema_of(engine: Engine) -> str | None:
    if engine.dialect.name != "postgresql":
        return None
    with reading(engine) as conn:
        return str(conn.execute(text("SELECT current_schema()")).scalar_one())


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    try:
        with reading(engine) as conn:
            pragmas = [
                conn.exec_driver_sql(f"PRAGMA {p}").scalar()
                for p in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
            ]
        assert pragmas == ["wal", 1, 1, 5000]
    finally:
        engine.dispose()


def test_an_in_memory_sqlite_database_is_one_database() -> None:
    engine = make_engine("sqlite://")
    try:
        upgrade_schema(engine)
        SqlParticipantStore(engine).add(participant(1))
        assert SqlParticipantStore(engine).get(participant(1).id) == participant(1)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "url", ["mysql://localhost/db", "postgresql+psycopg2://localhost/db", "sqlite+aiosqlite://"]
)
def test_only_sqlite_and_psycopg_are_supported(url: str) -> None:
    with pytest.raises(UnsupportedDatabase):
        make_engine(url)


def test_schema_options_are_checked() -> None:
    with pytest.raises(ValueError, match="schemas"):
        make_engine("sqlite://", schema="x")
    with pytest.raises(ValueError, match="schema name"):
        make_engine("postgresql://localhost/db", schema="x; DROP TABLE y")


def test_a_failing_database_raises_the_storage_family(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'm.sqlite'}")
    try:
        with pytest.raises(MarketStorageError, match="upgrading the schema failed"):
            upgrade_schema(engine)
    finally:
        engine.dispose()


def test_autogenerate_writes_an_empty_revision_at_head(tmp_path: Path) -> None:
    """What a developer runs after declaring a table; at head there is nothing to add."""
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    try:
        upgrade_schema(engine)
        path = autogenerate_revision(engine, "nothing new", rev_id="9999", script_location=scripts)
    finally:
        engine.dispose()
    written = path.read_text()
    assert path.parent == scripts / "versions"
    assert 'down_revision: str | Sequence[str] | None = "0010"' in written.replace("'", '"')
    assert "op." not in written
