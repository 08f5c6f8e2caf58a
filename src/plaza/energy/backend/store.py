"""The marketplace's database on one SQLite file, the seed's ``marketplace.sqlite3``.

Tables: ``assets``, ``transactions`` (offers and requests as first received and
their latest state), ``contracts``, ``events`` (every state received or sent,
per record, and where it landed on the twin), ``log`` (the seed's audit log),
``twins`` (record to twin channel), ``asset_standing`` (what the user module last said of
each asset: :mod:`plaza.energy.backend.onboarding`), and the market's ``settlements``
(each contract's settlement in the market's lifecycle, kept by the market's
:class:`~plaza.market.sql.SqlSettlementStore`). The file is opened with the market's
engine (:func:`~plaza.market.sql.make_engine`): :meth:`SqliteMarketplaceStore.atomic` is
the market's unit of work on it, so a step's settlement commits with its records, events
and letters, or not at all. The channel cursors
(:class:`~plaza.channels.SqliteCursorStore`) live in the same file, which is why
it is created readable by its owner only (:class:`~plaza.sqlite.SqliteFile`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from plaza.energy.backend.model import (
    COUNTED_LETTERS,
    AssetRecord,
    ContractSummary,
    EnergyContractRecord,
    RecordEvent,
    TransactionRecord,
)
from plaza.energy.backend.onboarding import Standing
from plaza.energy.envelope import ModuleKey, dumps
from plaza.energy.model import (
    AssetType,
    EnergyContract,
    Transaction,
    TransactionStatus,
    TransactionType,
)
from plaza.energy.store import LOG_SCHEMA, SqlFile, SqlOperationLog
from plaza.market.sql import SqlSettlementStore
from plaza.market.sql.settlement_tables import settlements

__all__ = ["SqliteMarketplaceStore"]


_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS assets (
        asset_id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL,
        type TEXT NOT NULL, location TEXT NOT NULL, url TEXT NOT NULL, public_key TEXT NOT NULL,
        wallet TEXT NOT NULL, owner TEXT NOT NULL,
        registered_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS transactions (
        side TEXT NOT NULL, transaction_id TEXT NOT NULL, asset_id TEXT NOT NULL,
        status TEXT NOT NULL, contract_id TEXT NOT NULL, twin TEXT NOT NULL,
        first_state TEXT NOT NULL, latest_state TEXT NOT NULL,
        received_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
        PRIMARY KEY (side, transaction_id))""",
    """CREATE TABLE IF NOT EXISTS contracts (
        contract_id TEXT PRIMARY KEY, provider TEXT NOT NULL, consumer TEXT NOT NULL,
        status TEXT NOT NULL, claimed INTEGER NOT NULL, contract TEXT NOT NULL,
        document TEXT NOT NULL, latest_state TEXT NOT NULL,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS contracts_consumer ON contracts (consumer, claimed)",
    """CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT NOT NULL, direction TEXT NOT NULL,
        party TEXT NOT NULL, path TEXT NOT NULL, state TEXT NOT NULL, cause INTEGER,
        on_twin INTEGER NOT NULL, twin_position INTEGER, twin_message TEXT,
        at_ms INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS events_record ON events (record_id, party, path)",
    "CREATE INDEX IF NOT EXISTS events_cause ON events (cause)",
    """CREATE INDEX IF NOT EXISTS events_pending ON events (id)
        WHERE on_twin = 1 AND twin_position IS NULL""",
    LOG_SCHEMA,
    """CREATE TABLE IF NOT EXISTS twins (
        record_id TEXT PRIMARY KEY, channel_id BLOB NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS asset_standing (
        asset_id TEXT PRIMARY KEY, owner TEXT NOT NULL, status TEXT NOT NULL,
        updated_ms INTEGER NOT NULL, told_at INTEGER NOT NULL)""",
)
_EVENTS = (
    "SELECT record_id, direction, party, path, state, on_twin, cause, id, twin_position "
    "FROM events "
)
_FIND_EVENT = _EVENTS + (
    "WHERE record_id = ? AND party = ? AND path = ? AND direction = 'in' AND state = ? "
    "ORDER BY id LIMIT 1"
)
_RECORD_EVENTS = _EVENTS + "WHERE record_id = ? ORDER BY id"
_CAUSED_EVENTS = _EVENTS + "WHERE cause = ? ORDER BY id"
_PENDING_EVENTS = _EVENTS + "WHERE on_twin = 1 AND twin_position IS NULL ORDER BY id"


class SqliteMarketplaceStore(SqlOperationLog):
    """:class:`~plaza.energy.backend.service.MarketplaceStore` on one SQLite file."""

    _db: SqlFile

    def __init__(self, path: Path) -> None:
        self._db = SqlFile(path, _SCHEMA, tables=(settlements,))
        self.settlements = SqlSettlementStore(self._db.engine)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._db.atomic():
            yield

    # -- assets -----------------------------------------------------------------------

    def asset(self, asset_id: str) -> AssetRecord | None:
        row = self._db.row(
            "SELECT asset_id, name, description, type, location, url, public_key, wallet, owner "
            "FROM assets WHERE asset_id = ?",
            (asset_id,),
        )
        if row is None:
            return None
        return AssetRecord(
            row[0],
            row[1],
            row[2],
            AssetType(row[3]),
            row[4],
            row[5],
            ModuleKey.from_text(row[6]),
            row[7],
            row[8],
        )

    def save_asset(self, asset: AssetRecord, *, now_ms: int) -> None:
        self._db.execute(
            "INSERT INTO assets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (asset_id) DO UPDATE SET name = excluded.name, "
            "description = excluded.description, type = excluded.type, "
            "location = excluded.location, url = excluded.url, public_key = excluded.public_key, "
            "wallet = excluded.wallet, owner = excluded.owner, updated_at = excluded.updated_at",
            (
                asset.asset_id,
                asset.name,
                asset.description,
                str(asset.type),
                asset.location,
                asset.url,
                asset.key.to_text(),
                asset.wallet,
                asset.owner,
                now_ms,
                now_ms,
            ),
        )

    # -- transactions and contracts ---------------------------------------------------

    def transaction(self, side: TransactionType, transaction_id: str) -> TransactionRecord | None:
        row = self._db.row(
            "SELECT first_state, latest_state, twin, contract_id FROM transactions "
            "WHERE side = ? AND transaction_id = ?",
            (str(side), transaction_id),
        )
        if row is None:
            return None
        return TransactionRecord(_transaction(row[0]), _transaction(row[1]), row[2], row[3])

    def save_transaction(self, record: TransactionRecord, *, now_ms: int) -> None:
        first, latest = record.first, record.latest
        self._db.execute(
            "INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (side, transaction_id) DO UPDATE SET status = excluded.status, "
            "contract_id = excluded.contract_id, latest_state = excluded.latest_state, "
            "updated_at = excluded.updated_at",
            (
                str(first.type),
                first.id,
                first.owner,
                str(latest.status),
                record.contract_id,
                record.twin,
                dumps(first.to_json()),
                dumps(latest.to_json()),
                now_ms,
                now_ms,
            ),
        )

    def contract(self, contract_id: str) -> EnergyContractRecord | None:
        row = self._db.row(
            "SELECT contract, document, latest_state, claimed FROM contracts WHERE contract_id = ?",
            (contract_id,),
        )
        if row is None:
            return None
        return EnergyContractRecord(
            EnergyContract.from_json(json.loads(row[0])),
            json.loads(row[1]),
            _transaction(row[2]),
            bool(row[3]),
        )

    def save_contract(
        self, record: EnergyContractRecord, *, status: TransactionStatus, now_ms: int
    ) -> None:
        contract = record.contract
        self._db.execute(
            "INSERT INTO contracts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (contract_id) DO UPDATE SET status = excluded.status, "
            "claimed = excluded.claimed, latest_state = excluded.latest_state, "
            "updated_at = excluded.updated_at",
            (
                contract.contractId,
                contract.offer.providerId,
                contract.request.requesterId,
                str(status),
                int(record.claimed),
                dumps(contract.to_json()),
                dumps(record.document),
                dumps(record.latest.to_json()),
                now_ms,
                now_ms,
            ),
        )

    def contracts(self, *, limit: int) -> list[ContractSummary]:
        rows = self._db.rows(
            "SELECT contract_id, provider, consumer, created_at FROM contracts "
            "ORDER BY created_at DESC, contract_id LIMIT ?",
            (limit,),
        )
        return [ContractSummary(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]

    def claims_against(self, consumer: str) -> int:
        return self._db.count(
            "SELECT COUNT(*) FROM contracts WHERE consumer = ? AND claimed = 1", (consumer,)
        )

    # -- events -----------------------------------------------------------------------

    def add_event(self, event: RecordEvent, *, now_ms: int) -> RecordEvent:
        cursor = self._db.execute(
            "INSERT INTO events (record_id, direction, party, path, state, cause, on_twin, at_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event.record_id,
                event.direction,
                event.party,
                event.path,
                dumps(event.state),
                event.cause,
                int(event.on_twin),
                now_ms,
            ),
        )
        assert cursor.lastrowid is not None
        return RecordEvent(
            event.record_id,
            event.direction,
            event.party,
            event.path,
            event.state,
            event.on_twin,
            event.cause,
            cursor.lastrowid,
        )

    def find_event(
        self, record_id: str, party: str, path: str, state: Mapping[str, Any]
    ) -> RecordEvent | None:
        rows = self._db.rows(
            _FIND_EVENT,
            (record_id, party, path, dumps(state)),
        )
        return _event(rows[0]) if rows else None

    def events(self, record_id: str) -> list[RecordEvent]:
        rows = self._db.rows(_RECORD_EVENTS, (record_id,))
        return [_event(row) for row in rows]

    def caused_by(self, event_id: int) -> list[RecordEvent]:
        rows = self._db.rows(_CAUSED_EVENTS, (event_id,))
        return [_event(row) for row in rows]

    def pending_twin_events(self) -> list[RecordEvent]:
        rows = self._db.rows(_PENDING_EVENTS)
        return [_event(row) for row in rows]

    def mark_on_twin(self, event_id: int, position: int, message_id: str) -> None:
        self._db.execute(
            "UPDATE events SET twin_position = ?, twin_message = ? WHERE id = ?",
            (position, message_id, event_id),
        )

    # -- the owner rules (plaza.energy.backend.onboarding) ------------------------------

    def standing(self, asset_id: str) -> Standing | None:
        row = self._db.row(
            "SELECT asset_id, owner, status, updated_ms FROM asset_standing WHERE asset_id = ?",
            (asset_id,),
        )
        return None if row is None else Standing(row[0], row[1], row[2], row[3])

    def save_standing(self, standing: Standing, *, now_ms: int) -> None:
        self._db.execute(
            "INSERT INTO asset_standing VALUES (?, ?, ?, ?, ?) ON CONFLICT (asset_id) DO UPDATE"
            " SET owner = excluded.owner, status = excluded.status,"
            " updated_ms = excluded.updated_ms, told_at = excluded.told_at",
            (standing.asset_id, standing.owner, standing.status, standing.updated_ms, now_ms),
        )

    def open_bids(self, asset_id: str) -> list[TransactionRecord]:
        """The asset's offers and requests still on the book: initial, not contracted."""
        rows = self._db.rows(
            "SELECT side, transaction_id FROM transactions WHERE asset_id = ?"
            " AND contract_id = '' AND status IN (?, ?) ORDER BY received_at",
            (
                asset_id,
                str(TransactionStatus.INITIAL_OFFER),
                str(TransactionStatus.INITIAL_REQUEST),
            ),
        )
        found = (self.transaction(TransactionType(row[0]), row[1]) for row in rows)
        return [record for record in found if record is not None]

    # -- twins, log, statistics -------------------------------------------------------

    def twin_channel(self, record_id: str) -> bytes | None:
        row = self._db.row("SELECT channel_id FROM twins WHERE record_id = ?", (record_id,))
        return None if row is None else bytes(row[0])

    def remember_twin(self, record_id: str, channel_id: bytes) -> None:
        self._db.execute("INSERT OR IGNORE INTO twins VALUES (?, ?)", (record_id, channel_id))

    def statistics(self) -> dict[str, int]:
        counts = {
            "assets": self._db.count("SELECT COUNT(*) FROM assets"),
            "offers": self._db.count("SELECT COUNT(*) FROM transactions WHERE side = 'offer'"),
            "requests": self._db.count("SELECT COUNT(*) FROM transactions WHERE side = 'request'"),
            "contracts": self._db.count("SELECT COUNT(*) FROM contracts"),
        }
        for name, path in COUNTED_LETTERS.items():
            counts[name] = self._db.count(
                "SELECT COUNT(*) FROM events WHERE direction = 'in' AND path = ?", (path,)
            )
        return counts

    def close(self) -> None:
        self._db.close()


def _transaction(text: str) -> Transaction:
    return Transaction.from_json(json.loads(text))


def _event(row: tuple[Any, ...]) -> RecordEvent:
    return RecordEvent(
        row[0], row[1], row[2], row[3], json.loads(row[4]), bool(row[5]), row[6], row[7], row[8]
    )
