"""The provider's own records: the quotes it gave (with their secrets) and the calls it took.

A call's state is saved before the step that follows it
(:mod:`plaza.services.calls`), so a provider killed at any point finds, on its
next start, every call it accepted and what is left to do for it. The file is a
private :class:`plaza.sqlite.SqliteFile` (0600, folder 0700): it holds the quotes'
secrets and the customers' inputs and side keys.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from plaza.services.calls import ProviderState, next_state
from plaza.sqlite import SqliteFile

__all__ = ["Call", "ProviderBook", "StoredQuote"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS quotes (
        call_id BLOB PRIMARY KEY, service TEXT NOT NULL, price INTEGER NOT NULL,
        secret BLOB NOT NULL, hashlock BLOB NOT NULL, deadline_ms INTEGER NOT NULL,
        quoted_at_ms INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS calls (
        hold_id BLOB PRIMARY KEY, call_id BLOB, state TEXT NOT NULL, amount INTEGER NOT NULL,
        deadline_ms INTEGER NOT NULL, side_key BLOB, input BLOB, detail TEXT NOT NULL,
        result_id BLOB, closing_id BLOB, updated_at_ms INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS calls_by_call ON calls (call_id)",
    "CREATE TABLE IF NOT EXISTS facts (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


@dataclass(frozen=True, slots=True)
class StoredQuote:
    call_id: bytes
    service: str
    price: int
    secret: bytes
    hashlock: bytes
    deadline_ms: int
    quoted_at_ms: int

    def __repr__(self) -> str:
        return f"StoredQuote(call_id={self.call_id.hex()}, deadline_ms={self.deadline_ms})"


@dataclass(frozen=True, slots=True)
class Call:
    """A hold to this provider it has taken on: to run, to pay itself for, or to refund.

    ``call_id``, ``side_key`` and ``input`` are None for a hold whose data did not open
    (refunded with an empty reason); ``detail`` is the failure's reason, or empty.
    """

    hold_id: bytes
    call_id: bytes | None
    state: ProviderState
    amount: int
    deadline_ms: int
    side_key: bytes | None
    input: bytes | None
    detail: str
    result_id: bytes | None
    closing_id: bytes | None
    updated_at_ms: int

    def __repr__(self) -> str:
        return f"Call(hold_id={self.hold_id.hex()}, state={self.state})"


_SELECT = (
    "SELECT hold_id, call_id, state, amount, deadline_ms, side_key, input, detail, result_id, "
    "closing_id, updated_at_ms FROM calls"
)
_INSERT = "INSERT OR IGNORE INTO calls VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_UNFINISHED = _SELECT + " WHERE state NOT IN ('paid', 'refunded', 'expired') ORDER BY rowid"


def _blob(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


def _call(row: tuple[Any, ...]) -> Call:
    hold_id, call_id, state, amount, deadline_ms, side_key, data, detail = row[:8]
    result_id, closing_id, updated_at_ms = row[8:]
    return Call(
        bytes(hold_id),
        _blob(call_id),
        ProviderState(state),
        amount,
        deadline_ms,
        _blob(side_key),
        _blob(data),
        detail,
        _blob(result_id),
        _blob(closing_id),
        updated_at_ms,
    )


class ProviderBook:
    """Quotes and calls in one SQLite file; safe to share between the agent's threads."""

    def __init__(self, path: Path) -> None:
        self._db = SqliteFile(path, _SCHEMA, label="provider book")

    def close(self) -> None:
        self._db.close()

    # -- quotes ----------------------------------------------------------------------------

    def save_quote(self, quote: StoredQuote) -> StoredQuote:
        """Keep ``quote`` unless the call id has one already; the one kept."""
        with self._db.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO quotes VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    quote.call_id,
                    quote.service,
                    quote.price,
                    quote.secret,
                    quote.hashlock,
                    quote.deadline_ms,
                    quote.quoted_at_ms,
                ),
            )
        kept = self.quote(quote.call_id)
        assert kept is not None
        return kept

    def quote(self, call_id: bytes) -> StoredQuote | None:
        row = self._db.row(
            "SELECT call_id, service, price, secret, hashlock, deadline_ms, quoted_at_ms "
            "FROM quotes WHERE call_id = ?",
            (call_id,),
        )
        if row is None:
            return None
        return StoredQuote(bytes(row[0]), row[1], row[2], bytes(row[3]), bytes(row[4]), *row[5:])

    def forget_quotes(self, deadline_before_ms: int) -> int:
        """Forget the quotes whose deadline is before ``deadline_before_ms`` and that no hold
        paid: no hold can pay them any more (a hold's deadline is its quote's, and the
        ledger refuses a hold past it), and anyone may ask for quotes. How many went."""
        with self._db.write() as conn:
            cursor = conn.execute(
                "DELETE FROM quotes WHERE deadline_ms < ? AND call_id NOT IN "
                "(SELECT call_id FROM calls WHERE call_id IS NOT NULL)",
                (deadline_before_ms,),
            )
        return cursor.rowcount

    # -- calls -----------------------------------------------------------------------------

    def call(self, hold_id: bytes) -> Call | None:
        row = self._db.row(_SELECT + " WHERE hold_id = ?", (hold_id,))
        return None if row is None else _call(row)

    def calls_for(self, call_id: bytes) -> list[Call]:
        rows = self._db.rows(_SELECT + " WHERE call_id = ?", (call_id,))
        return [_call(row) for row in rows]

    def take(self, call: Call) -> bool:
        """Record a new call; False if that hold was taken already (nothing changes)."""
        values = [getattr(call, f.name) for f in fields(Call)]
        values[2] = call.state.value
        with self._db.write() as conn:
            cursor = conn.execute(_INSERT, values)
        return cursor.rowcount == 1

    def move(self, call: Call, event: str, now_ms: int, **changes: Any) -> Call:
        """``call`` after ``event`` (by the state rules), saved with ``changes``."""
        moved = replace(call, state=next_state(call.state, event), updated_at_ms=now_ms, **changes)
        with self._db.write() as conn:
            conn.execute(
                "UPDATE calls SET state = ?, detail = ?, result_id = ?, closing_id = ?, "
                "updated_at_ms = ? WHERE hold_id = ?",
                (
                    moved.state.value,
                    moved.detail,
                    moved.result_id,
                    moved.closing_id,
                    now_ms,
                    call.hold_id,
                ),
            )
        return moved

    def unfinished(self) -> list[Call]:
        """Every call not paid, refunded or expired, oldest first."""
        return [_call(row) for row in self._db.rows(_UNFINISHED)]

    def counts(self) -> dict[str, int]:
        rows = self._db.rows("SELECT state, COUNT(*) FROM calls GROUP BY state")
        return {str(state): int(count) for state, count in rows}

    def revenue(self) -> int:
        return self._db.count("SELECT COALESCE(SUM(amount), 0) FROM calls WHERE state = 'paid'")

    def failure_reasons(self) -> list[tuple[str, int]]:
        """The refunded calls by the reason given (what the owner's report tallies)."""
        rows = self._db.rows(
            "SELECT detail, COUNT(*) FROM calls WHERE state = 'refunded' GROUP BY detail"
        )
        return [(str(detail), int(count)) for detail, count in rows]

    # -- facts -----------------------------------------------------------------------------

    def fact(self, name: str) -> str | None:
        row = self._db.row("SELECT value FROM facts WHERE name = ?", (name,))
        return None if row is None else str(row[0])

    def set_fact(self, name: str, value: str) -> None:
        with self._db.write() as conn:
            conn.execute("INSERT OR REPLACE INTO facts VALUES (?, ?)", (name, value))
