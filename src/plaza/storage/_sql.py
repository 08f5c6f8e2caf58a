"""The SQL both database adapters share, written once with ``?`` placeholders.

SQLite and PostgreSQL differ here only in column types, in how a transaction is
opened and in the driver's exceptions. The :class:`Dialect` (in
:mod:`plaza.storage._schema`, with the tables) carries the type differences;
subclasses of :class:`SqlTangleStore` supply ``_transaction`` (lock,
begin/commit/rollback, error translation). Everything else, and therefore every
semantic detail the contract tests check, lives in this one file.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from plaza.ledger.codec import decode_message
from plaza.ledger.holds import HoldRecord
from plaza.ledger.model import Conflict, Message, MessageMetadata, MilestoneRecord
from plaza.ledger.ports import HistoryEntry, NewMessage, Page, ParentInfo
from plaza.storage._carried import CARRIERS_OF, FILE_CARRIED, METADATA, carried_rows
from plaza.storage._common import NO_CURSOR, PAYMENT_KINDS, check_window, page_cursor
from plaza.storage._holds import OPEN_HOLDS, SELECT_HOLD, UPSERT_HOLD, hold_row, record_of
from plaza.storage._schema import SCHEMA_VERSION, Cursor, Dialect, init_schema

__all__ = ["SCHEMA_VERSION", "Cursor", "Dialect", "SqlTangleStore"]

#: Ids per ``IN (...)`` list: far below SQLite's variable limit, and plans stay cheap.
_CHUNK = 500

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
        """Create or migrate the tables on open (:func:`plaza.storage._schema.init_schema`);
        ``setup`` statements run first in the same transaction."""
        with self._transaction(write=True) as cur:
            init_schema(cur, self._dialect, setup)

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

    def file_carried(self, filings: Sequence[tuple[bytes, Message]]) -> None:
        """``ON CONFLICT DO NOTHING``: a carried id already filed keeps its first carrier."""
        with self._transaction(write=True) as cur:
            cur.executemany(self._q(FILE_CARRIED), carried_rows(filings))

    def carriers_of(self, ids: Iterable[bytes]) -> dict[bytes, bytes]:
        found: dict[bytes, bytes] = {}
        with self._transaction(write=False) as cur:
            for batch in _chunks(ids):
                cur.execute(self._in(CARRIERS_OF, len(batch)), batch)
                found.update((bytes(i), bytes(carrier)) for i, carrier in cur.fetchall())
        return found

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
        """A carried message's is its carrier's (one join), naming the carrier."""
        with self._transaction(write=False) as cur:
            cur.execute(self._q(METADATA), (message_id,))
            row = cur.fetchone()
        if row is None:
            return None
        carrier = None if row[3] is None else bytes(row[3])
        return MessageMetadata(message_id, bool(row[0]), row[1], Conflict(row[2]), carrier)

    def parent_info(self, ids: Iterable[bytes]) -> dict[bytes, ParentInfo]:
        query = """SELECT id, issued_at, milestone_index FROM messages
            WHERE solid AND carrier IS NULL AND id IN (?*)"""
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
        """Applied transfers, holds and part payments: all are replay-protected by their key."""
        query = self._q(
            "SELECT raw FROM messages WHERE kind IN (?, ?, ?) AND conflict = 0"
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
        query = """SELECT raw, solid FROM messages WHERE milestone_index IS NULL
            AND carrier IS NULL ORDER BY seq"""
        with self._transaction(write=False) as cur:
            cur.execute(query)
            return [(bytes(raw), bool(solid)) for raw, solid in cur.fetchall()]

    def message_count(self) -> int:
        with self._transaction(write=False) as cur:
            cur.execute("SELECT COUNT(*) FROM messages WHERE carrier IS NULL")
            return int(cur.fetchone()[0])
