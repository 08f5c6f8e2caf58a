"""The user module's SQLite file: owners, devices, the events devices report, transfers, log.

One connection, one writer at a time (a lock), WAL so readers never block it
(:class:`~plaza.sqlite.SqliteFile`, which creates the file readable by its owner only).
Values only ever travel as parameters. The ``devices`` table holds each device's
UUID, the secret ``/init`` is trusted by; the ``owners`` table only keyed hashes of
API keys. Keep the file as private as the module's key files.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from plaza.energy.errors import WrongState
from plaza.energy.model import Transaction, TransactionStatus
from plaza.energy.owner.records import Device, DeviceEvent, DeviceSettings, DeviceStats, Owner
from plaza.energy.owner.store_allowances import SCHEMA as ALLOWANCES_SCHEMA
from plaza.energy.owner.store_allowances import AllowanceRows
from plaza.energy.owner.store_images import SCHEMA as IMAGES_SCHEMA
from plaza.energy.owner.store_images import ImageRows
from plaza.energy.owner.transfers import TransferState, WalletTransfer
from plaza.sqlite import SqliteFile

__all__ = ["SqliteOwnerStore"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS owners (
    account INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    key_hash BLOB NOT NULL,
    created_ms INTEGER NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES owners(id),
    uuid TEXT NOT NULL UNIQUE,
    settings TEXT NOT NULL,
    public_key TEXT NOT NULL,
    wallet_address TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
)""",
    """CREATE INDEX IF NOT EXISTS devices_by_owner ON devices (owner_id, created_ms)""",
    """CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    status TEXT NOT NULL,
    energy_wh INTEGER NOT NULL,
    price INTEGER NOT NULL,
    value INTEGER NOT NULL,
    body TEXT NOT NULL,
    twin TEXT NOT NULL,
    received_ms INTEGER NOT NULL,
    digest BLOB NOT NULL,
    UNIQUE (device_id, digest)
)""",
    "CREATE INDEX IF NOT EXISTS events_by_transaction ON events (device_id, transaction_id, seq)",
    """CREATE TABLE IF NOT EXISTS transfers (
    message_id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    counterpart TEXT NOT NULL,
    amount INTEGER NOT NULL,
    device_id TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    state TEXT NOT NULL,
    reference TEXT
)""",
    """CREATE INDEX IF NOT EXISTS transfers_by_owner ON transfers (owner_id, created_ms)""",
    """CREATE INDEX IF NOT EXISTS transfers_by_state ON transfers (state)""",
    """CREATE TABLE IF NOT EXISTS log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    operation TEXT NOT NULL,
    subject TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL
)""",
    *ALLOWANCES_SCHEMA,
    *IMAGES_SCHEMA,
)

#: Added after the first release: files made before it get the column (and the index) here.
_MIGRATIONS = {"transfers": {"reference": "TEXT", "allowance": "TEXT"}}
_INDEXES = (
    """CREATE INDEX IF NOT EXISTS transfers_by_reference ON transfers (device_id, reference)""",
    "CREATE INDEX IF NOT EXISTS transfers_by_allowance ON transfers (allowance)",
)

_DEVICE = "SELECT id, owner_id, settings, public_key, wallet_address, created_ms, updated_ms"
_EVENT = "SELECT device_id, transaction_id, body, twin, received_ms, digest FROM events"
_TRANSFER = (
    "SELECT message_id, owner_id, kind, counterpart, amount, device_id, created_ms, state,"
    " reference, allowance FROM transfers"
)
#: Each transaction of a device with its latest event, first and last sequence numbers.
_LATEST = """
WITH latest AS (
    SELECT transaction_id, MIN(seq) AS first, MAX(seq) AS last
    FROM events WHERE device_id = ? GROUP BY transaction_id
)
"""


def _device(row: Sequence[Any]) -> Device:
    device_id, owner_id, settings, public_key, wallet, created, updated = row
    return Device(
        device_id,
        owner_id,
        DeviceSettings.from_form(json.loads(settings)),
        public_key,
        wallet,
        created,
        updated,
    )


def _event(row: Sequence[Any]) -> DeviceEvent:
    device_id, transaction_id, body, twin, received_ms, digest = row
    return DeviceEvent(
        device_id,
        transaction_id,
        Transaction.from_json(json.loads(body)),
        twin,
        received_ms,
        digest,
    )


def _transfer(row: Sequence[Any]) -> WalletTransfer:
    message_id, owner_id, kind, counterpart, amount, device_id, created_ms, state, ref, al = row
    return WalletTransfer(
        message_id,
        owner_id,
        kind,
        counterpart,
        amount,
        device_id,
        created_ms,
        TransferState(state),
        ref or "",
        al or "",
    )


def _migrate(conn: sqlite3.Connection) -> None:
    """Add the columns a file made by an older version lacks (``CREATE TABLE IF NOT EXISTS``
    leaves an existing table as it was), then the indexes over them."""
    for table, columns in _MIGRATIONS.items():
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        for column, kind in columns.items():
            if column not in have:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    for statement in _INDEXES:
        conn.execute(statement)


class SqliteOwnerStore(AllowanceRows, ImageRows):
    """:class:`~plaza.energy.owner.ports.OwnerStore` in the SQLite file at ``path``."""

    def __init__(self, path: Path) -> None:
        self._db = SqliteFile(
            path,
            _SCHEMA,
            migrate=_migrate,
            foreign_keys=True,
            busy_timeout_ms=10_000,
            synchronous=None,
        )

    # -- owners ----------------------------------------------------------------------------

    def add_owner(self, owner_id: str, name: str, key_hash: bytes, created_ms: int) -> Owner:
        try:
            with self._db.atomic() as conn:
                cursor = conn.execute(
                    "INSERT INTO owners (id, name, key_hash, created_ms) VALUES (?, ?, ?, ?)",
                    (owner_id, name, key_hash, created_ms),
                )
                account = cursor.lastrowid
        except sqlite3.IntegrityError:
            raise WrongState(f"an owner {owner_id!r} exists already") from None
        assert account is not None
        return Owner(owner_id, name, account, key_hash, created_ms)

    def owner(self, owner_id: str) -> Owner | None:
        rows = self._db.rows(
            "SELECT id, name, account, key_hash, created_ms FROM owners WHERE id = ?", (owner_id,)
        )
        return Owner(*rows[0]) if rows else None

    # -- devices ---------------------------------------------------------------------------

    def add_device(self, device: Device) -> None:
        try:
            with self._db.atomic() as conn:
                conn.execute(
                    "INSERT INTO devices (id, owner_id, uuid, settings, public_key,"
                    " wallet_address, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        device.id,
                        device.owner_id,
                        device.settings.uuid,
                        json.dumps(device.settings.to_form()),
                        device.public_key,
                        device.wallet_address,
                        device.created_ms,
                        device.updated_ms,
                    ),
                )
        except sqlite3.IntegrityError:
            raise WrongState("a device with this UUID is onboarded already") from None

    def update_device(self, device: Device) -> None:
        with self._db.atomic() as conn:
            conn.execute(
                "UPDATE devices SET settings = ?, updated_ms = ? WHERE id = ?",
                (json.dumps(device.settings.to_form()), device.updated_ms, device.id),
            )

    def remove_device(self, device_id: str) -> None:
        with self._db.atomic() as conn:
            conn.execute("DELETE FROM events WHERE device_id = ?", (device_id,))
            conn.execute("DELETE FROM device_images WHERE device_id = ?", (device_id,))
            conn.execute("DELETE FROM devices WHERE id = ?", (device_id,))

    def device(self, device_id: str) -> Device | None:
        rows = self._db.rows(_DEVICE + " FROM devices WHERE id = ?", (device_id,))
        return _device(rows[0]) if rows else None

    def device_by_uuid(self, uuid: str) -> Device | None:
        rows = self._db.rows(_DEVICE + " FROM devices WHERE uuid = ?", (uuid,))
        return _device(rows[0]) if rows else None

    def devices_of(self, owner_id: str) -> list[Device]:
        rows = self._db.rows(
            _DEVICE + " FROM devices WHERE owner_id = ? ORDER BY created_ms, id", (owner_id,)
        )
        return [_device(row) for row in rows]

    # -- events ----------------------------------------------------------------------------

    def add_event(self, event: DeviceEvent) -> bool:
        t = event.transaction
        with self._db.atomic() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO events (device_id, transaction_id, status, energy_wh,"
                " price, value, body, twin, received_ms, digest)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    event.device_id,
                    event.transaction_id,
                    str(t.status),
                    t.energyAmount,
                    t.energyPrice,
                    t.value,
                    json.dumps(t.to_json()),
                    event.twin,
                    event.received_ms,
                    event.digest,
                ),
            )
            return cursor.rowcount == 1

    def device_stats(self, device_id: str) -> DeviceStats:
        """Energy and value over each transaction's latest finished provision; the count and
        mean price over each transaction's latest state."""
        ((energy, value, provisions),) = self._db.rows(
            "SELECT COALESCE(SUM(energy_wh), 0), COALESCE(SUM(value), 0), COUNT(*) FROM events"
            " WHERE seq IN (SELECT MAX(seq) FROM events WHERE device_id = ? AND status = ?"
            " GROUP BY transaction_id)",
            (device_id, str(TransactionStatus.PROVISION_FINISHED)),
        )
        ((count, prices),) = self._db.rows(
            _LATEST + "SELECT COUNT(*), COALESCE(SUM(e.price), 0)"  # noqa: S608 - constants only
            " FROM latest JOIN events e ON e.seq = latest.last",
            (device_id,),
        )
        average = (2 * prices + count) // (2 * count) if count else 0
        return DeviceStats(energy, value, provisions, count, average)

    def transactions(
        self, device_id: str, *, status: str | None, search: str | None, limit: int, offset: int
    ) -> tuple[int, list[list[DeviceEvent]]]:
        where = (
            " FROM latest JOIN events e ON e.seq = latest.last"
            " WHERE (? IS NULL OR e.status = ?) AND (? IS NULL OR instr(e.transaction_id, ?) > 0)"
        )
        filters = (device_id, status, status, search, search)
        ((total,),) = self._db.rows(_LATEST + "SELECT COUNT(*)" + where, filters)
        page = self._db.rows(
            _LATEST + "SELECT e.transaction_id" + where + " ORDER BY latest.first DESC"
            " LIMIT ? OFFSET ?",
            (*filters, limit, offset),
        )
        return total, [self.events_of(device_id, row[0])[::-1] for row in page]

    def events_of(self, device_id: str, transaction_id: str) -> list[DeviceEvent]:
        rows = self._db.rows(
            _EVENT + " WHERE device_id = ? AND transaction_id = ? ORDER BY seq",
            (device_id, transaction_id),
        )
        return [_event(row) for row in rows]

    # -- transfers and log -----------------------------------------------------------------

    def add_transfer(self, transfer: WalletTransfer) -> None:
        with self._db.atomic() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO transfers (message_id, owner_id, kind, counterpart,"
                " amount, device_id, created_ms, state, reference, allowance)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    transfer.message_id,
                    transfer.owner_id,
                    transfer.kind,
                    transfer.counterpart,
                    transfer.amount,
                    transfer.device_id,
                    transfer.created_ms,
                    str(transfer.state),
                    transfer.reference or None,
                    transfer.allowance or None,
                ),
            )

    def funding(self, device_id: str, reference: str) -> WalletTransfer | None:
        rows = self._db.rows(
            _TRANSFER + " WHERE device_id = ? AND reference = ? AND kind = 'fund'"
            " ORDER BY created_ms DESC, rowid DESC LIMIT 1",
            (device_id, reference),
        )
        return _transfer(rows[0]) if rows else None

    def funded_by_letters(self, device_id: str, *, since_ms: int) -> int:
        """What ``/fund`` letters moved to the device since ``since_ms`` (transfers the ledger
        refused, conflicting or expired, moved nothing and do not count)."""
        return self._db.count(
            "SELECT COALESCE(SUM(amount), 0) FROM transfers WHERE device_id = ? AND kind = 'fund'"
            " AND reference IS NOT NULL AND created_ms >= ? AND state IN (?, ?)",
            (device_id, since_ms, str(TransferState.PENDING), str(TransferState.CONFIRMED)),
        )

    def pending_fundings(self, device_id: str) -> list[WalletTransfer]:
        """The device's fundings (by letter or by hand) the ledger has not decided yet."""
        rows = self._db.rows(
            _TRANSFER + " WHERE device_id = ? AND kind = 'fund' AND state = ? ORDER BY created_ms",
            (device_id, str(TransferState.PENDING)),
        )
        return [_transfer(row) for row in rows]

    def transfers_of(self, owner_id: str, *, limit: int) -> list[WalletTransfer]:
        rows = self._db.rows(
            _TRANSFER + " WHERE owner_id = ? ORDER BY created_ms DESC, rowid DESC LIMIT ?",
            (owner_id, limit),
        )
        return [_transfer(row) for row in rows]

    def pending_transfers(self) -> list[WalletTransfer]:
        rows = self._db.rows(
            _TRANSFER + " WHERE state = ? ORDER BY created_ms", (str(TransferState.PENDING),)
        )
        return [_transfer(row) for row in rows]

    def settle_transfer(self, message_id: str, state: TransferState) -> None:
        with self._db.atomic() as conn:
            conn.execute(
                "UPDATE transfers SET state = ? WHERE message_id = ?", (str(state), message_id)
            )

    def log(self, at_ms: int, operation: str, subject: str, outcome: str, detail: str) -> None:
        with self._db.atomic() as conn:
            conn.execute(
                "INSERT INTO log (at_ms, operation, subject, outcome, detail)"
                " VALUES (?, ?, ?, ?, ?)",
                (at_ms, operation, subject, outcome, detail),
            )

    def log_entries(self, *, limit: int = 100) -> list[dict[str, Any]]:
        """The latest log lines, newest first (for tests and operators)."""
        rows = self._db.rows(
            "SELECT at_ms, operation, subject, outcome, detail FROM log ORDER BY seq DESC LIMIT ?",
            (limit,),
        )
        names = ("at", "operation", "subject", "outcome", "detail")
        return [dict(zip(names, row, strict=True)) for row in rows]

    def close(self) -> None:
        self._db.close()
