"""Holds in the SQL stores: one row per hold ever opened, updated as it is paid and closed.

Kept apart from :mod:`plaza.storage._sql` so each file stays one concept. The
row keeps a closed hold (how it closed, what the payee got, by which message);
``to_payee`` is what the payee received so far, so an open hold's part payments
need no column of their own (what remains is ``amount - to_payee``),
which is what lets a node answer for a hold after it left the ledger state; the
partial index keeps loading the open ones at startup cheap however many closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from plaza.ledger.holds import Hold, HoldRecord, HoldStatus

__all__ = [
    "OPEN_HOLDS",
    "SELECT_HOLD",
    "STATUS_CODES",
    "UPSERT_HOLD",
    "hold_ddl",
    "hold_row",
    "record_of",
]

#: Stored status codes; a code is never reused for another status.
STATUS_CODES = {
    HoldStatus.OPEN: 0,
    HoldStatus.RELEASED: 1,
    HoldStatus.SETTLED: 2,
    HoldStatus.EXPIRED: 3,
}
_STATUSES = {code: status for status, code in STATUS_CODES.items()}

UPSERT_HOLD = """INSERT INTO holds (id, payer, payee, amount, expires_at, hashlock, arbiter,
    status, opened_in, to_payee, closed_in, closed_by)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET status = excluded.status, to_payee = excluded.to_payee,
    closed_in = excluded.closed_in, closed_by = excluded.closed_by"""
_SELECT = """SELECT id, payer, payee, amount, expires_at, hashlock, arbiter, status, opened_in,
    to_payee, closed_in, closed_by FROM holds"""
SELECT_HOLD = _SELECT + " WHERE id = ?"
OPEN_HOLDS = _SELECT + " WHERE status = 0 ORDER BY id"


def hold_ddl(blob: str, clustered: str) -> list[str]:
    """The holds table (created on open, so a database from before holds gains it)."""
    return [
        f"""CREATE TABLE IF NOT EXISTS holds (id {blob} PRIMARY KEY, payer {blob} NOT NULL,
            payee {blob} NOT NULL, amount BIGINT NOT NULL, expires_at BIGINT NOT NULL,
            hashlock {blob} NOT NULL, arbiter {blob} NOT NULL, status SMALLINT NOT NULL,
            opened_in BIGINT NOT NULL, to_payee BIGINT NOT NULL, closed_in BIGINT,
            closed_by {blob}){clustered}""",
        "CREATE INDEX IF NOT EXISTS holds_open ON holds (id) WHERE status = 0",
    ]


def hold_row(record: HoldRecord) -> tuple[object, ...]:
    hold = record.hold
    return (
        hold.id,
        hold.payer,
        hold.payee,
        hold.amount,
        hold.expires_at_ms,
        hold.hashlock,
        hold.arbiter,
        STATUS_CODES[record.status],
        record.opened_in,
        record.to_payee,
        record.closed_in,
        record.closed_by,
    )


def record_of(row: Sequence[Any]) -> HoldRecord:
    hold_id, payer, payee, amount, expires_at, hashlock, arbiter = row[:7]
    status, opened_in, to_payee, closed_in, closed_by = row[7:]
    hold = Hold(
        bytes(hold_id),
        bytes(payer),
        bytes(payee),
        amount,
        expires_at,
        bytes(hashlock),
        bytes(arbiter),
        to_payee,
    )
    by = None if closed_by is None else bytes(closed_by)
    return HoldRecord(hold, _STATUSES[status], opened_in, closed_in, by)
