"""The asset's database: the seed's ``energy_broker.sqlite3``, on the market's engine.

Tables: ``config`` (the last ``/init``), ``energy`` (the pool and what is
reserved of it), ``transactions`` (each own transaction's latest state and
contract), ``events`` (every state of every transaction, in order: what an
audit compares with the twin), ``payment_queue``, ``twins`` (record id to twin
channel), the seed's ``log``, and the market's ``settlements``: the device's own
payments, each kept by the market's :class:`~plaza.market.sql.SqlSettlementStore`
(signed before it is submitted, so a retry sends the same bytes and a contract is
paid once).

The file is opened with the market's engine (:class:`~plaza.energy.store.SqlFile`);
each change is one write transaction, so a state, its event, the pool and the queue
move together or not at all. Values always travel as parameters, never inside SQL.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from plaza.energy.asset.config import Change, OwnTransaction, Pool
from plaza.energy.model import EnergyContract, Transaction
from plaza.energy.store import SqlFile
from plaza.market.settlement import Phase, PreparedPayment, Settlement
from plaza.market.sql import SqlSettlementStore
from plaza.market.sql.settlement_tables import settlements

__all__ = ["DB_NAME", "SqliteAssetStore"]

DB_NAME = "energy_broker.sqlite3"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS config (id INTEGER PRIMARY KEY CHECK (id = 1), "
    "body TEXT NOT NULL, updated_ms INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS energy (id INTEGER PRIMARY KEY CHECK (id = 1), "
    "pool INTEGER NOT NULL, reserved INTEGER NOT NULL, updated_ms INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO energy VALUES (1, 0, 0, 0)",
    """CREATE TABLE IF NOT EXISTS transactions (
        id TEXT PRIMARY KEY, side TEXT NOT NULL, status TEXT NOT NULL, state TEXT NOT NULL,
        contract TEXT, created_ms INTEGER NOT NULL, idle_since_ms INTEGER NOT NULL,
        claimed INTEGER NOT NULL DEFAULT 0)""",
    "CREATE INDEX IF NOT EXISTS transactions_status ON transactions (status, created_ms)",
    """CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT NOT NULL, at_ms INTEGER NOT NULL,
        status TEXT NOT NULL, state TEXT NOT NULL, twin_message TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS events_record ON events (record_id, seq)",
    """CREATE TABLE IF NOT EXISTS payment_queue (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT NOT NULL UNIQUE,
        queued_ms INTEGER NOT NULL)""",
    "CREATE TABLE IF NOT EXISTS twins (record_id TEXT PRIMARY KEY, channel_id BLOB NOT NULL)",
    """CREATE TABLE IF NOT EXISTS log (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, operation TEXT NOT NULL,
        record_id TEXT NOT NULL, ok INTEGER NOT NULL, detail TEXT NOT NULL)""",
)
_RECORD = "SELECT id, state, contract, created_ms, idle_since_ms, claimed FROM transactions"
_QUEUED = (
    "SELECT id, state, contract, created_ms, idle_since_ms, claimed FROM transactions "
    "JOIN payment_queue q ON q.record_id = id ORDER BY q.seq LIMIT ?"
)


class SqliteAssetStore:
    """:class:`~plaza.energy.asset.ports.AssetStore` in the SQLite file at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = SqlFile(path, _SCHEMA, tables=(settlements,))  # private: names twin channels
        self.settlements = SqlSettlementStore(self._db.engine)
        _adopt_prepared_payments(self._db, self.settlements)

    def close(self) -> None:
        self._db.close()

    # configuration and pool

    def load_config(self) -> dict[str, Any] | None:
        rows = self._db.rows("SELECT body FROM config WHERE id = 1")
        return json.loads(rows[0][0]) if rows else None

    def save_config(self, config: Mapping[str, Any], *, now_ms: int) -> None:
        with self._db.atomic():
            self._db.execute(
                "INSERT OR REPLACE INTO config VALUES (1, ?, ?)", (json.dumps(dict(config)), now_ms)
            )
            detail = f"configured: status {config.get('status')}"
            _log(self._db, now_ms, "init", "", ok=True, detail=detail)

    def pool(self) -> Pool:
        ((energy, reserved),) = self._db.rows("SELECT pool, reserved FROM energy WHERE id = 1")
        return Pool(energy, reserved)

    def add_energy(self, energy: int, *, now_ms: int, operation: str) -> Pool:
        with self._db.atomic():
            self._db.execute(
                "UPDATE energy SET pool = pool + ?, updated_ms = ? WHERE id = 1", (energy, now_ms)
            )
            _log(self._db, now_ms, operation, "", ok=True, detail=f"{energy:+d} Wh")
            ((pool, reserved),) = self._db.rows("SELECT pool, reserved FROM energy")
        return Pool(pool, reserved)

    # transactions and events

    def record(self, record_id: str) -> OwnTransaction | None:
        rows = self._db.rows(_RECORD + " WHERE id = ?", (record_id,))
        return _record(rows[0]) if rows else None

    def records(self, statuses: Collection[str] | None = None) -> list[OwnTransaction]:
        if statuses is None:
            rows = self._db.rows(_RECORD + " ORDER BY created_ms, id")
        else:
            marks = ", ".join("?" for _ in statuses)  # placeholders only, values as parameters
            rows = self._db.rows(
                _RECORD + f" WHERE status IN ({marks}) ORDER BY created_ms, id",
                tuple(str(status) for status in statuses),
            )
        return [_record(row) for row in rows]

    def first_state(self, record_id: str) -> dict[str, Any] | None:
        rows = self._db.rows(
            "SELECT state FROM events WHERE record_id = ? ORDER BY seq LIMIT 1", (record_id,)
        )
        return json.loads(rows[0][0]) if rows else None

    def events(self, record_id: str) -> list[dict[str, Any]]:
        rows = self._db.rows(
            "SELECT at_ms, state, twin_message FROM events WHERE record_id = ? ORDER BY seq",
            (record_id,),
        )
        return [
            {"at": at, "state": json.loads(state), "twinMessage": message}
            for at, state, message in rows
        ]

    def apply(self, change: Change) -> None:
        record, state = change.record, change.record.state
        text = json.dumps(state.to_json(), sort_keys=True)
        contract = None if record.contract is None else json.dumps(record.contract.to_json())
        now = record.idle_since_ms
        with self._db.atomic():
            self._db.execute(
                "INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO "
                "UPDATE SET status = excluded.status, state = excluded.state, "
                "contract = excluded.contract, idle_since_ms = excluded.idle_since_ms, "
                "claimed = excluded.claimed",
                (
                    record.id,
                    str(state.type),
                    str(state.status),
                    text,
                    contract,
                    record.created_ms,
                    now,
                    int(record.claimed),
                ),
            )
            self._db.execute(
                "INSERT INTO events (record_id, at_ms, status, state, twin_message) "
                "VALUES (?, ?, ?, ?, ?)",
                (record.id, now, str(state.status), text, change.twin_message),
            )
            self._db.execute(
                "UPDATE energy SET pool = pool + ?, reserved = reserved + ?, updated_ms = ? "
                "WHERE id = 1",
                (change.energy, change.reserved, now),
            )
            _queue(self._db, record.id, change.queue, now)
            _log(self._db, now, change.operation, record.id, ok=True, detail=str(state.status))

    def touch(self, record_id: str, *, now_ms: int, queue: bool | None = None) -> None:
        with self._db.atomic():
            self._db.execute(
                "UPDATE transactions SET idle_since_ms = ? WHERE id = ?", (now_ms, record_id)
            )
            _queue(self._db, record_id, queue, now_ms)

    def counts(self) -> dict[str, int]:
        rows = self._db.rows("SELECT status, COUNT(*) FROM transactions GROUP BY status")
        return {str(status): int(count) for status, count in rows}

    # the payment queue

    def queued(self, limit: int) -> list[OwnTransaction]:
        rows = self._db.rows(
            _QUEUED,
            (limit,),
        )
        return [_record(row) for row in rows]

    # twins and the log

    def twin_channel(self, record_id: str) -> bytes | None:
        rows = self._db.rows("SELECT channel_id FROM twins WHERE record_id = ?", (record_id,))
        return bytes(rows[0][0]) if rows else None

    def remember_twin(self, record_id: str, channel_id: bytes) -> None:
        with self._db.atomic():
            self._db.execute("INSERT OR IGNORE INTO twins VALUES (?, ?)", (record_id, channel_id))

    def log(
        self, operation: str, detail: str, *, now_ms: int, record_id: str = "", ok: bool = True
    ) -> None:
        with self._db.atomic():
            _log(self._db, now_ms, operation, record_id, ok=ok, detail=detail)

    def log_lines(self, *, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._db.rows(
            "SELECT at_ms, operation, record_id, ok, detail FROM log ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [
            {"at": at, "operation": op, "recordId": rid, "ok": bool(ok), "detail": detail}
            for at, op, rid, ok, detail in rows
        ]


def _record(row: tuple[Any, ...]) -> OwnTransaction:
    record_id, state, contract, created, idle_since, claimed = row
    return OwnTransaction(
        id=record_id,
        state=Transaction.from_json(json.loads(state)),
        created_ms=created,
        idle_since_ms=idle_since,
        contract=None if contract is None else EnergyContract.from_json(json.loads(contract)),
        claimed=bool(claimed),
    )


def _adopt_prepared_payments(db: SqlFile, settlements: SqlSettlementStore) -> None:
    """Payments a device prepared before it kept them as the market's settlements (its old
    ``prepared_payments`` table) become settlements, so none is ever prepared twice."""
    if not db.rows("SELECT name FROM sqlite_master WHERE name = 'prepared_payments'"):
        return
    with db.atomic():
        rows = db.rows(
            "SELECT p.message_id, p.raw, p.amount, p.confirmed, p.saved_ms, t.contract "
            "FROM prepared_payments p JOIN transactions t ON t.id = p.record_id"
        )
        for message_id, raw, amount, confirmed, saved_ms, contract in rows:
            deal = EnergyContract.from_json(json.loads(contract)).to_settlement()
            phase = Phase.FULFILLED if confirmed else Phase.PAYMENT_PROCESSED
            payment = PreparedPayment(bytes(message_id), bytes(raw), amount)
            settlements.create(Settlement(deal, phase, saved_ms, saved_ms, payment=payment))
        db.execute("DROP TABLE prepared_payments")


def _queue(db: SqlFile, record_id: str, queue: bool | None, now_ms: int) -> None:
    if queue is True:
        db.execute(
            "INSERT OR IGNORE INTO payment_queue (record_id, queued_ms) VALUES (?, ?)",
            (record_id, now_ms),
        )
    elif queue is False:
        db.execute("DELETE FROM payment_queue WHERE record_id = ?", (record_id,))


def _log(
    db: SqlFile, now_ms: int, operation: str, record_id: str, *, ok: bool, detail: str
) -> None:
    db.execute(
        "INSERT INTO log (at_ms, operation, record_id, ok, detail) VALUES (?, ?, ?, ?, ?)",
        (now_ms, operation, record_id, int(ok), detail[:1000]),
    )
