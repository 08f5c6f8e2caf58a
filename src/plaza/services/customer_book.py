"""The customer's record of its calls: what makes a call idempotent by its call id.

A call's side key and hold bytes are saved before the hold is submitted, so a
customer that crashes, or calls again with the same id, waits for that hold
rather than paying a second one (both would open with the provider's one secret).
With no path the book lives in memory, for one process's calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plaza.ledger.codec import decode_message
from plaza.services.calls import CustomerState
from plaza.sqlite import SqliteFile

__all__ = ["CustomerBook", "PaidCall"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS calls (
        call_id BLOB PRIMARY KEY, service TEXT NOT NULL, side_key BLOB NOT NULL,
        hold_id BLOB NOT NULL, hold_raw BLOB NOT NULL, deadline_ms INTEGER NOT NULL,
        state TEXT NOT NULL, result BLOB, detail TEXT NOT NULL DEFAULT '')""",
)
_SELECT = (
    "SELECT call_id, service, side_key, hold_id, hold_raw, deadline_ms, state, result, detail "
    "FROM calls"
)


@dataclass(frozen=True, slots=True)
class PaidCall:
    call_id: bytes
    service: str
    side_key: bytes
    hold_id: bytes
    hold_raw: bytes
    deadline_ms: int
    state: CustomerState
    result: bytes | None = None
    detail: str = ""

    def __repr__(self) -> str:
        return f"PaidCall(call_id={self.call_id.hex()}, state={self.state})"

    @property
    def hold_message_id(self) -> bytes:
        return decode_message(self.hold_raw).id

    def result_value(self) -> Any:
        assert self.result is not None
        return json.loads(self.result)


class CustomerBook:
    """Calls by call id, in a private SQLite file (or in memory)."""

    def __init__(self, path: Path | None) -> None:
        target = ":memory:" if path is None else path
        self._db = SqliteFile(target, _SCHEMA, label="call book", private=path is not None)

    def close(self) -> None:
        self._db.close()

    def get(self, call_id: bytes) -> PaidCall | None:
        row = self._db.row(_SELECT + " WHERE call_id = ?", (call_id,))
        if row is None:
            return None
        call_id, service, side_key, hold_id, raw, deadline, state, result, detail = row
        found = None if result is None else bytes(result)
        return PaidCall(
            bytes(call_id),
            service,
            bytes(side_key),
            bytes(hold_id),
            bytes(raw),
            deadline,
            CustomerState(state),
            found,
            detail,
        )

    def require(self, call_id: bytes) -> PaidCall:
        found = self.get(call_id)
        assert found is not None
        return found

    def save(self, paid: PaidCall) -> PaidCall:
        """Keep ``paid`` unless the call id has a hold already; the one kept."""
        with self._db.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO calls VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    paid.call_id,
                    paid.service,
                    paid.side_key,
                    paid.hold_id,
                    paid.hold_raw,
                    paid.deadline_ms,
                    paid.state.value,
                    paid.result,
                    paid.detail,
                ),
            )
        return self.require(paid.call_id)

    def finish(
        self, call_id: bytes, state: CustomerState, *, result: bytes | None = None, detail: str = ""
    ) -> None:
        with self._db.write() as conn:
            conn.execute(
                "UPDATE calls SET state = ?, result = ?, detail = ? WHERE call_id = ?",
                (state.value, result, detail, call_id),
            )

    def calls(self) -> list[PaidCall]:
        rows = self._db.rows(_SELECT + " ORDER BY rowid")
        return [self.require(bytes(row[0])) for row in rows]

    def counts(self) -> dict[CustomerState, int]:
        """How many calls are in each state: what a running customer reports, without
        reading every call."""
        rows = self._db.rows("SELECT state, COUNT(*) FROM calls GROUP BY state")
        return {CustomerState(state): int(count) for state, count in rows}
