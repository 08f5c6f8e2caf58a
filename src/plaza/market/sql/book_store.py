"""The SQL adapter of :class:`~plaza.market.book.ports.BookStore`: the market database's journal.

The journal lives beside participants, settlements and twins (SQLite file or
PostgreSQL), so a marketplace's state is in one database, not split across two
with no transaction in common. ``append`` is one write transaction that first
checks the step follows the last one; the primary key on ``step`` is what makes
a second writer fail on either engine (two appends of the same step: one wins,
the other is a :class:`~plaza.market.errors.JournalConflict`), and the unique
(participant, idempotency key) constraint stops a retried submission becoming a
second order, behind the book's own index.

Worker processes sharing the database take turns through :meth:`SqlBookStore.hold`,
called at the start of each step's unit of work: on PostgreSQL a transaction-scoped
advisory lock keyed by the schema (so marketplaces in other schemas never wait on
it), released at commit, at rollback, or when a killed worker's connection drops; on
SQLite the unit's ``BEGIN IMMEDIATE`` already holds the database's one write lock.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, Row, Select, func, insert, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from plaza.market.book.codec import decode_entry, encode_entry
from plaza.market.book.journal import JournalEntry
from plaza.market.book.ports import BookStore
from plaza.market.errors import BookStoreFailed, JournalConflict
from plaza.market.sql.book_tables import market_journal
from plaza.market.sql.engine import reading, writing

__all__ = ["SqlBookStore", "import_journal"]

_PAGE = 1000
_LAST_STEP = select(func.coalesce(func.max(market_journal.c.step), 0))
#: The first key of the journal's advisory lock ("plz" in ASCII); the second is the schema's.
_LOCK_SPACE = 0x706C7A
_HOLD = text("SELECT pg_advisory_xact_lock(:space, hashtext(current_schema()))")


class SqlBookStore:
    """The book's journal in the ``market_journal`` table of ``engine``'s database.

    The engine belongs to the caller (the composition root disposes of it):
    :meth:`close` only stops this store from being used.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine: Engine | None = engine

    def hold(self) -> None:
        """Wait for the journal's lock, then keep it until the caller's unit of work ends."""
        engine = self._open()
        if engine.dialect.name != "postgresql":
            return  # SQLite: the unit's BEGIN IMMEDIATE is the hold
        try:
            with writing(engine) as conn:
                conn.execute(_HOLD, {"space": _LOCK_SPACE})
        except SQLAlchemyError as error:
            raise BookStoreFailed(f"holding the journal: {_reason(error)}") from error

    def append(self, entry: JournalEntry) -> None:
        row = {
            "step": entry.step,
            "at_ms": entry.at_ms,
            "participant": entry.participant,
            "idempotency_key": entry.idempotency_key,
            "entry": encode_entry(entry),
        }
        try:
            with writing(self._open()) as conn:
                last = int(conn.execute(_LAST_STEP).scalar_one())
                if entry.step != last + 1:
                    raise JournalConflict(entry.step, f"the journal is at step {last}")
                conn.execute(insert(market_journal).values(row))
        except IntegrityError:
            raise JournalConflict(entry.step, "that step or idempotency key is taken") from None
        except SQLAlchemyError as error:
            raise BookStoreFailed(f"appending step {entry.step}: {_reason(error)}") from error

    def entries(self, *, after_step: int = 0) -> Iterator[JournalEntry]:
        """Read in pages, so a long journal streams without one long transaction."""
        while True:
            query = (
                select(market_journal.c.step, market_journal.c.entry)
                .where(market_journal.c.step > after_step)
                .order_by(market_journal.c.step)
                .limit(_PAGE)
            )
            rows = self._read(query, "reading the journal")
            for row in rows:
                yield decode_entry(row.entry, step=row.step)
            if len(rows) < _PAGE:
                return
            after_step = rows[-1][0]

    def entry(self, step: int) -> JournalEntry | None:
        query = select(market_journal.c.entry).where(market_journal.c.step == step)
        rows = self._read(query, f"reading step {step}")
        return None if not rows else decode_entry(rows[0][0], step=step)

    def last_step(self) -> int:
        return int(self._read(_LAST_STEP, "reading the last step")[0][0])

    def close(self) -> None:
        self._engine = None

    def _read(self, query: Select[Any], what: str) -> Sequence[Row[Any]]:
        try:
            with reading(self._open()) as conn:
                return conn.execute(query).all()
        except SQLAlchemyError as error:
            raise BookStoreFailed(f"{what}: {_reason(error)}") from error

    def _open(self) -> Engine:
        if self._engine is None:
            raise BookStoreFailed("the store is closed")
        return self._engine


def _reason(error: SQLAlchemyError) -> str:
    """The driver's words, without the statement's parameters (they belong in debug logs)."""
    return str(getattr(error, "orig", None) or type(error).__name__)


def import_journal(source: BookStore, target: BookStore) -> int:
    """Copy every step of ``source`` that ``target`` lacks; how many were copied.

    For a marketplace whose journal used to be a file of its own
    (``book.sqlite3``): its first start on the shared database brings the steps
    over, so no order is lost by the move. A target ahead of or beside the source
    (a step that differs) raises :class:`~plaza.market.errors.JournalConflict`.
    """
    copied = 0
    for entry in source.entries(after_step=target.last_step()):
        target.append(entry)
        copied += 1
    return copied
