"""The SQL both database adapters share, written once with ``?`` placeholders.

SQLite and PostgreSQL differ here only in column types, in how a transaction is
opened and in the driver's exceptions. The :class:`Dialect` carries the type
differences; subclasses of :class:`SqlTangleStore` supply ``_transaction`` (lock,
begin/commit/rollback, error translation). Everything else, and therefore every
semantic detail the contract tests check, lives in this one file.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from plaza.ledger.codec import decode_message
from plaza.ledger.holds import HoldRecord
from plaza.ledger.model import Conflict, MessageMetadata, MilestoneRecord
from plaza.ledger.ports import HistoryEntry, NewMessage, Page, ParentInfo
from plaza.storage._common import NO_CURSOR, PAYMENT_KINDS, check_window, page_cursor
from plaza.storage._holds import OPEN_HOLDS, SELECT_HOLD, UPSERT_HOLD, hold_ddl, hold_row, record_of
from plaza.storage.errors import SchemaVersionError

__all__ = ["SCHEMA_VERSION", "Cursor", "Dialect", "SqlTangleStore"]

#: Bump with a migration whenever the tables below change.
SCHEMA_VERSION = 1

#: Ids per ``IN (...)`` list: far below SQLite's variable limit, and plans stay cheap.
_CHUNK = 500


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
                milestone_index BIGINT, conflict SMALLINT NOT NULL DEFAULT 0)""",
            """CREATE INDEX IF NOT EXISTS messages_by_tag ON messages (tag, seq)
                WHERE tag IS NOT NULL""",
            """CREATE INDEX IF NOT EXISTS messages_unconfirmed ON messages (seq)
                WHERE milestone_index IS NULL""",
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


_INSERT_MESSAGE = """INSERT INTO messages (id, raw, tag, issued_at, kind, solid)
    VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"""
_INSERT_EDGE = "INSERT INTO edges (parent, child) VALUES (?, ?) ON CONFLICT DO NOTHING"
_INSERT_ENTRY = """INSERT INTO address_entries (address, message_id, delta)
    VALUES (?, ?, ?) ON CONFLICT DO NOTHING"""
_BY_TAG = """SELECT seq, id FROM messages WHERE tag = ? AND seq < ?
    ORDER BY seq DESC LIMIT ?"""
_BY_ADDRESS = """SELECT m.seq, m.id FROM address_entries a JOIN messages m ON m.id = a.message_id
    WHERE a.address = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?"""
_HISTORY = """SELECT m.id, a.delta, m.issued_at, m.milestone_index, m.conflict
    FROM address_entries a JOIN messages m ON m.id = a.message_id
    WHERE a.address = ? ORDER BY m.seq DESC LIMIT ? OFFSET ?"""
_CHILDREN = """SELECT e.child FROM edges e JOIN messages m ON m.id = e.child
    WHERE e.parent = ? ORDER BY m.seq LIMIT ?"""
_INSERT_MILESTONE = """INSERT INTO milestones (milestone_index, message_id, timestamp_ms,
    inclusion_root, state_root, confirmed_count) VALUES (?, ?, ?, ?, ?, ?)"""
_MILESTONES = """SELECT milestone_index, message_id, timestamp_ms, inclusion_root, state_root,
    confirmed_count FROM milestones"""
_UPSERT_BALANCE = """INSERT INTO balances (address, amount) VALUES (?, ?)
    ON CONFLICT (address) DO UPDATE SET amount = excluded.amount"""


def _chunks(ids: Iterable[bytes]) -> Iterator[list[bytes]]:
    batch: list[bytes] = []
    for message_id in ids:
        batch.append(message_id)
        if len(batch) == _CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _milestone(row: Sequence[Any] | None) -> MilestoneRecord | None:
    if row is None:
        return None
    index, message_id, timestamp_ms, inclusion_root, state_root, count = row
    return MilestoneRecord(
        index, bytes(message_id), timestamp_ms, bytes(inclusion_root), bytes(state_root), count
    )


class SqlTangleStore(abc.ABC):
    """A :class:`~plaza.ledger.ports.TangleStore` over any DB-API connection.

    Every public method runs in one ``_transaction``: writes are atomic, and
    multi-statement reads see one state.
    """

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._sql_cache: dict[str, str] = {}

    @abc.abstractmethod
    def _transaction(self, *, write: bool) -> AbstractContextManager[Cursor]:
        """Lock, begin, yield a cursor, commit (or roll back and translate the error)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection; the store is unusable afterwards."""

    def _q(self, text: str) -> str:
        """The statement in the dialect's placeholder style, converted once."""
        query = self._sql_cache.get(text)
        if query is None:
            query = self._sql_cache[text] = self._dialect.sql(text)
        return query

    def _in(self, text: str, count: int) -> str:
        return self._q(text.replace("(?*)", "(" + ", ".join("?" * count) + ")"))

    def _init_schema(self, *setup: Any) -> None:
        """Create the tables on first open; refuse a database of another schema version.

        ``setup`` statements run first in the same transaction (PostgreSQL: take a
        lock against concurrent first opens, create and enter the schema).
        """
        with self._transaction(write=True) as cur:
            for statement in setup:
                cur.execute(statement)
            cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            cur.execute("SELECT MAX(version) FROM schema_version")
            found = cur.fetchone()[0]
            if found is not None and found != SCHEMA_VERSION:
                raise SchemaVersionError(found, SCHEMA_VERSION)
            for statement in self._dialect.ddl():
                cur.execute(statement)
            if found is None:
                cur.execute(self._q("INSERT INTO schema_version VALUES (?)"), (SCHEMA_VERSION,))

    def add_messages(self, messages: Sequence[NewMessage]) -> None:
        """The ingest hot path: three ``executemany`` calls in one transaction.

        The caller guarantees the ids are new; should one be stored already, the
        ``ON CONFLICT DO NOTHING`` clauses leave the stored row, edges and entries as they are.
        """
        rows: list[tuple[object, ...]] = []
        edges: list[tuple[bytes, bytes]] = []
        entries: list[tuple[bytes, bytes, int]] = []
        for new in messages:
            message = new.message
            rows.append(
                (
                    message.id,
                    message.raw,
                    message.tag or None,
                    message.issued_at_ms,
                    int(message.payload.KIND),
                    new.solid,
                )
            )
            edges.extend((parent, message.id) for parent in message.parents)
            entries.extend((e.address, message.id, e.delta) for e in new.entries)
        with self._transaction(write=True) as cur:
            cur.executemany(self._q(_INSERT_MESSAGE), rows)
            cur.executemany(self._q(_INSERT_EDGE), edges)
            if entries:
                cur.executemany(self._q(_INSERT_ENTRY), entries)

    def mark_solid(self, ids: Sequence[bytes]) -> None:
        with self._transaction(write=True) as cur:
            cur.executemany(
                self._q("UPDATE messages SET solid = ? WHERE id = ?"), [(True, i) for i in ids]
            )

    def discard(self, ids: Sequence[bytes]) -> None:
        """Delete messages with their parent edges and entries; edges *to* them stay.

        The parent edges are found by decoding the stored bytes rather than through
        an index on ``edges.child``: discards are rare, and that index would cost
        ingest about a third of its rate.
        """
        params = [(message_id,) for message_id in ids]
        with self._transaction(write=True) as cur:
            edges: list[tuple[bytes, bytes]] = []
            for batch in _chunks(ids):
                cur.execute(
                    self._in("SELECT id, raw FROM messages WHERE id IN (?*)", len(batch)), batch
                )
                for message_id, raw in cur.fetchall():
                    parents = decode_message(bytes(raw)).parents
                    edges.extend((parent, bytes(message_id)) for parent in parents)
            cur.executemany(self._q("DELETE FROM edges WHERE parent = ? AND child = ?"), edges)
            cur.executemany(self._q("DELETE FROM address_entries WHERE message_id = ?"), params)
            cur.executemany(self._q("DELETE FROM messages WHERE id = ?"), params)

    def existing(self, ids: Iterable[bytes]) -> set[bytes]:
        found: set[bytes] = set()
        with self._transaction(write=False) as cur:
            for batch in _chunks(ids):
                cur.execute(self._in("SELECT id FROM messages WHERE id IN (?*)", len(batch)), batch)
                found.update(bytes(row[0]) for row in cur.fetchall())
        return found

    def get_raw(self, message_id: bytes) -> bytes | None:
        with self._transaction(write=False) as cur:
            cur.execute(self._q("SELECT raw FROM messages WHERE id = ?"), (message_id,))
            row = cur.fetchone()
        return None if row is None else bytes(row[0])

    def metadata(self, message_id: bytes) -> MessageMetadata | None:
        query = "SELECT solid, milestone_index, conflict FROM messages WHERE id = ?"
        with self._transaction(write=False) as cur:
            cur.execute(self._q(query), (message_id,))
            row = cur.fetchone()
        if row is None:
            return None
        return MessageMetadata(message_id, bool(row[0]), row[1], Conflict(row[2]))

    def parent_info(self, ids: Iterable[bytes]) -> dict[bytes, ParentInfo]:
        query = "SELECT id, issued_at, milestone_index FROM messages WHERE solid AND id IN (?*)"
        found: dict[bytes, ParentInfo] = {}
        with self._transaction(write=False) as cur:
            for batch in _chunks(ids):
                cur.execute(self._in(query, len(batch)), batch)
                for message_id, issued_at, index in cur.fetchall():
                    found[bytes(message_id)] = ParentInfo(issued_at, index)
        return found

    def children(self, message_id: bytes, *, limit: int = 100) -> list[bytes]:
        """Oldest child first."""
        check_window(limit)
        with self._transaction(write=False) as cur:
            cur.execute(self._q(_CHILDREN), (message_id, limit))
            return [bytes(row[0]) for row in cur.fetchall()]

    def find_by_tag(self, tag: bytes, *, limit: int = 100, cursor: int | None = None) -> Page:
        """Empty tags are stored as NULL, so ``b""`` finds nothing (it would find everything)."""
        if not tag:
            check_window(limit)
            return Page((), None)
        return self._page(_BY_TAG, tag, limit, cursor)

    def find_by_address(
        self, address: bytes, *, limit: int = 100, cursor: int | None = None
    ) -> Page:
        return self._page(_BY_ADDRESS, address, limit, cursor)

    def _page(self, query: str, key: bytes, limit: int, cursor: int | None) -> Page:
        """Fetch one row more than asked, to know whether a next page exists."""
        check_window(limit)
        below = NO_CURSOR if cursor is None else cursor
        with self._transaction(write=False) as cur:
            cur.execute(self._q(query), (key, below, limit + 1))
            rows = cur.fetchall()
        ids = tuple(bytes(row[1]) for row in rows[:limit])
        return Page(ids, page_cursor([row[0] for row in rows], limit))

    def history(self, address: bytes, *, limit: int = 100, offset: int = 0) -> list[HistoryEntry]:
        check_window(limit, offset)
        with self._transaction(write=False) as cur:
            cur.execute(self._q(_HISTORY), (address, limit, offset))
            rows = cur.fetchall()
        return [
            HistoryEntry(bytes(message_id), delta, issued_at, index, Conflict(conflict))
            for message_id, delta, issued_at, index, conflict in rows
        ]

    def apply_milestone(
        self,
        record: MilestoneRecord,
        confirmed: Sequence[tuple[bytes, Conflict]],
        balances: Mapping[bytes, int],
        holds: Sequence[HoldRecord] = (),
    ) -> None:
        """Confirm, set balances and holds and record the milestone in one transaction."""
        confirm = "UPDATE messages SET milestone_index = ?, conflict = ? WHERE id = ?"
        upserts = [(address, amount) for address, amount in balances.items() if amount]
        deletes = [(address,) for address, amount in balances.items() if not amount]
        with self._transaction(write=True) as cur:
            cur.executemany(self._q(confirm), [(record.index, int(c), i) for i, c in confirmed])
            if upserts:
                cur.executemany(self._q(_UPSERT_BALANCE), upserts)
            if deletes:
                cur.executemany(self._q("DELETE FROM balances WHERE address = ?"), deletes)
            if holds:
                cur.executemany(self._q(UPSERT_HOLD), [hold_row(record) for record in holds])
            cur.execute(
                self._q(_INSERT_MILESTONE),
                (
                    record.index,
                    record.message_id,
                    record.timestamp_ms,
                    record.inclusion_root,
                    record.state_root,
                    record.confirmed_count,
                ),
            )

    def milestone(self, index: int) -> MilestoneRecord | None:
        with self._transaction(write=False) as cur:
            cur.execute(self._q(_MILESTONES + " WHERE milestone_index = ?"), (index,))
            return _milestone(cur.fetchone())

    def latest_milestone(self) -> MilestoneRecord | None:
        with self._transaction(write=False) as cur:
            cur.execute(_MILESTONES + " ORDER BY milestone_index DESC LIMIT 1")
            return _milestone(cur.fetchone())

    def balances(self) -> dict[bytes, int]:
        with self._transaction(write=False) as cur:
            cur.execute("SELECT address, amount FROM balances")
            return {bytes(address): amount for address, amount in cur.fetchall()}

    def applied_transfers(self, since_issued_at_ms: int) -> list[bytes]:
        """Applied transfers and holds: both are replay-protected by their key."""
        query = self._q(
            "SELECT raw FROM messages WHERE kind IN (?, ?) AND conflict = 0"
            " AND milestone_index IS NOT NULL AND issued_at >= ? ORDER BY seq"
        )
        with self._transaction(write=False) as cur:
            cur.execute(query, (*(int(kind) for kind in PAYMENT_KINDS), since_issued_at_ms))
            return [bytes(raw) for (raw,) in cur.fetchall()]

    def open_holds(self) -> list[HoldRecord]:
        with self._transaction(write=False) as cur:
            cur.execute(OPEN_HOLDS)
            return [record_of(row) for row in cur.fetchall()]

    def hold(self, hold_id: bytes) -> HoldRecord | None:
        with self._transaction(write=False) as cur:
            cur.execute(self._q(SELECT_HOLD), (hold_id,))
            row = cur.fetchone()
        return None if row is None else record_of(row)

    def unconfirmed(self) -> list[tuple[bytes, bool]]:
        query = "SELECT raw, solid FROM messages WHERE milestone_index IS NULL ORDER BY seq"
        with self._transaction(write=False) as cur:
            cur.execute(query)
            return [(bytes(raw), bool(solid)) for raw, solid in cur.fetchall()]

    def message_count(self) -> int:
        with self._transaction(write=False) as cur:
            cur.execute("SELECT COUNT(*) FROM messages")
            return int(cur.fetchone()[0])
