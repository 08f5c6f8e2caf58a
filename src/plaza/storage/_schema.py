"""The tangle store's SQL schema: its tables, its version and the migrations between versions.

Apart from :mod:`plaza.storage._sql` (the statements that use the tables) so that
each file stays one concept. Opening a database creates what is missing
(``IF NOT EXISTS`` throughout), runs the migrations from an older version first,
and refuses a newer or unknown one: code that misreads a table is worse than code
that will not start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from plaza.storage._carried import UNCONFIRMED_INDEX, migrations
from plaza.storage._holds import hold_ddl
from plaza.storage.errors import SchemaVersionError

__all__ = ["SCHEMA_VERSION", "Cursor", "Dialect", "init_schema"]

#: Bump with a migration whenever the tables below change (2: carried messages).
SCHEMA_VERSION = 2


class Cursor(Protocol):
    """The part of a DB-API cursor used here; ``sqlite3`` and ``psycopg`` both fit."""

    def execute(self, query: Any, params: Any = ..., /) -> Any: ...

    def executemany(self, query: Any, params_seq: Any, /) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between the engines' DDL and parameter syntax."""

    blob: str
    seq_column: str
    placeholder: str
    #: Appended to tables keyed by their primary key alone (SQLite: ``WITHOUT ROWID``).
    clustered: str = ""

    def sql(self, text: str) -> str:
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)

    def ddl(self) -> list[str]:
        """The schema, ``IF NOT EXISTS`` throughout so opening an existing database is a no-op."""
        b, clustered = self.blob, self.clustered
        return [
            f"""CREATE TABLE IF NOT EXISTS messages (
                seq {self.seq_column}, id {b} NOT NULL UNIQUE, raw {b} NOT NULL, tag {b},
                issued_at BIGINT NOT NULL, kind SMALLINT NOT NULL, solid BOOLEAN NOT NULL,
                milestone_index BIGINT, conflict SMALLINT NOT NULL DEFAULT 0, carrier {b})""",
            """CREATE INDEX IF NOT EXISTS messages_by_tag ON messages (tag, seq)
                WHERE tag IS NOT NULL""",
            UNCONFIRMED_INDEX,
            f"""CREATE TABLE IF NOT EXISTS edges (parent {b} NOT NULL, child {b} NOT NULL,
                PRIMARY KEY (parent, child)){clustered}""",
            f"""CREATE TABLE IF NOT EXISTS address_entries (address {b} NOT NULL,
                message_id {b} NOT NULL, delta BIGINT NOT NULL,
                PRIMARY KEY (address, message_id)){clustered}""",
            """CREATE INDEX IF NOT EXISTS address_entries_by_message
                ON address_entries (message_id)""",
            f"""CREATE TABLE IF NOT EXISTS milestones (milestone_index BIGINT PRIMARY KEY,
                message_id {b} NOT NULL, timestamp_ms BIGINT NOT NULL,
                inclusion_root {b} NOT NULL, state_root {b} NOT NULL,
                confirmed_count BIGINT NOT NULL)""",
            f"""CREATE TABLE IF NOT EXISTS balances (address {b} PRIMARY KEY,
                amount BIGINT NOT NULL){clustered}""",
            *hold_ddl(b, clustered),
        ]


def init_schema(cur: Cursor, dialect: Dialect, setup: Sequence[Any] = ()) -> None:
    """Create the tables on first open, migrate an older schema, refuse a newer one.

    ``setup`` statements run first (PostgreSQL: take a lock against concurrent first
    opens, create and enter the schema). Migrations run before the ``CREATE``
    statements, which may use what they add (an index on a new column).
    """
    for statement in setup:
        cur.execute(statement)
    cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    cur.execute("SELECT MAX(version) FROM schema_version")
    found = cur.fetchone()[0]
    steps = migrations(dialect.blob)
    if found is not None and found != SCHEMA_VERSION and found not in steps:
        raise SchemaVersionError(found, SCHEMA_VERSION)
    for version in range(found or SCHEMA_VERSION, SCHEMA_VERSION):
        for statement in steps[version]:
            cur.execute(statement)
    for statement in dialect.ddl():
        cur.execute(statement)
    if found is None:
        cur.execute(dialect.sql("INSERT INTO schema_version VALUES (?)"), (SCHEMA_VERSION,))
    elif found != SCHEMA_VERSION:
        cur.execute(dialect.sql("UPDATE schema_version SET version = ?"), (SCHEMA_VERSION,))
