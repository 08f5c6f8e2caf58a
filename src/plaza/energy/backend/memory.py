"""The marketplace's database in memory, for tests: the marketplace's
:class:`~plaza.energy.backend.ports.MarketplaceStore`, with its settlements and the owner
rules' :class:`~plaza.energy.backend.onboarding.OnboardingStore`.

It keeps the SQLite adapter's promises within one process (one contract suite checks
both, ``tests/contract/test_energy_marketplace_store.py``, and the market's settlement
suite checks :attr:`MemoryMarketplaceStore.settlements`): :meth:`~MemoryMarketplaceStore.atomic`
lands all of its writes, settlements included, or none; an offer or request keeps its
first state, twin and time received, a contract its terms and document, an asset the
time it registered; a twin channel once remembered stays; events are numbered from 1 in
the order stored. States are kept as the canonical JSON text SQLite keeps, so a retried
letter is found by the very same text. ``close`` releases nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
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
from plaza.energy.envelope import dumps
from plaza.energy.memory import MemoryOperationLog, MemoryTables
from plaza.energy.model import EnergyContract, Transaction, TransactionStatus, TransactionType
from plaza.market.settlement import Settlement
from plaza.market.settlement.memory import MemorySettlementStore

__all__ = ["MemoryMarketplaceStore"]


@dataclass(frozen=True, slots=True)
class _Offer:
    """One row of ``transactions``: states as text; ``received_ms`` is the first save's."""

    asset_id: str
    status: str
    contract_id: str
    twin: str
    first: str
    latest: str
    received_ms: int


@dataclass(frozen=True, slots=True)
class _Contract:
    consumer: str
    status: str
    claimed: bool
    contract: str
    document: str
    latest: str
    created_ms: int


@dataclass(frozen=True, slots=True)
class _Event:
    event: RecordEvent  # its state as the text below, parsed again on every read
    state: str


@dataclass
class _Tables:
    assets: dict[str, AssetRecord] = field(default_factory=dict)
    offers: dict[tuple[str, str], _Offer] = field(default_factory=dict)  # (side, id)
    contracts: dict[str, _Contract] = field(default_factory=dict)
    events: list[_Event] = field(default_factory=list)  # event id n at index n - 1
    twins: dict[str, bytes] = field(default_factory=dict)
    standing: dict[str, Standing] = field(default_factory=dict)
    settlements: dict[str, Settlement] = field(default_factory=dict)
    log: list[dict[str, Any]] = field(default_factory=list)


class MemoryMarketplaceStore(MemoryOperationLog):
    """:class:`~plaza.energy.backend.ports.MarketplaceStore` in dicts and lists."""

    def __init__(self) -> None:
        self._tables: MemoryTables[_Tables] = MemoryTables(_Tables())
        self.settlements = _Settlements(self._tables)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._tables.write():
            yield

    # -- assets -----------------------------------------------------------------------

    def asset(self, asset_id: str) -> AssetRecord | None:
        with self._tables.read() as t:
            return t.assets.get(asset_id)

    def save_asset(self, asset: AssetRecord, *, now_ms: int) -> None:
        with self._tables.write() as t:
            t.assets[asset.asset_id] = asset

    # -- transactions and contracts ---------------------------------------------------

    def transaction(self, side: TransactionType, transaction_id: str) -> TransactionRecord | None:
        with self._tables.read() as t:
            row = t.offers.get((str(side), transaction_id))
        if row is None:
            return None
        return TransactionRecord(_state(row.first), _state(row.latest), row.twin, row.contract_id)

    def save_transaction(self, record: TransactionRecord, *, now_ms: int) -> None:
        first, latest = record.first, record.latest
        key = (str(first.type), first.id)
        status, state = str(latest.status), dumps(latest.to_json())
        with self._tables.write() as t:
            known = t.offers.get(key)
            t.offers[key] = (
                _Offer(
                    first.owner,
                    status,
                    record.contract_id,
                    record.twin,
                    dumps(first.to_json()),
                    state,
                    now_ms,
                )
                if known is None  # else the first state, the twin and the time received stay
                else replace(known, status=status, contract_id=record.contract_id, latest=state)
            )

    def contract(self, contract_id: str) -> EnergyContractRecord | None:
        with self._tables.read() as t:
            row = t.contracts.get(contract_id)
        if row is None:
            return None
        return EnergyContractRecord(
            EnergyContract.from_json(json.loads(row.contract)),
            json.loads(row.document),
            _state(row.latest),
            row.claimed,
        )

    def save_contract(
        self, record: EnergyContractRecord, *, status: TransactionStatus, now_ms: int
    ) -> None:
        contract = record.contract
        latest = dumps(record.latest.to_json())
        with self._tables.write() as t:
            known = t.contracts.get(contract.contractId)
            t.contracts[contract.contractId] = (
                _Contract(
                    contract.request.requesterId,
                    str(status),
                    record.claimed,
                    dumps(contract.to_json()),
                    dumps(record.document),
                    latest,
                    now_ms,
                )
                if known is None  # else the terms, the document and the time made stay
                else replace(known, status=str(status), claimed=record.claimed, latest=latest)
            )

    def contracts(self, *, limit: int) -> list[ContractSummary]:
        with self._tables.read() as t:
            made = [
                ContractSummary(
                    contract_id,
                    EnergyContract.from_json(json.loads(row.contract)).offer.providerId,
                    row.consumer,
                    row.created_ms,
                )
                for contract_id, row in t.contracts.items()
            ]
        made.sort(key=lambda c: (-c.created_ms, c.contract_id))
        return made[:limit]

    def claims_against(self, consumer: str) -> int:
        with self._tables.read() as t:
            return sum(1 for c in t.contracts.values() if c.consumer == consumer and c.claimed)

    # -- events -----------------------------------------------------------------------

    def add_event(self, event: RecordEvent, *, now_ms: int) -> RecordEvent:
        with self._tables.write() as t:
            text = dumps(event.state)
            stored = replace(event, state={}, id=len(t.events) + 1, twin_position=None)
            t.events.append(_Event(stored, text))
        return replace(event, id=stored.id, twin_position=None)

    def find_event(
        self, record_id: str, party: str, path: str, state: Mapping[str, Any]
    ) -> RecordEvent | None:
        text = dumps(state)
        with self._tables.read() as t:
            for row in t.events:
                e = row.event
                if (e.record_id, e.party, e.path, e.direction, row.state) == (
                    record_id,
                    party,
                    path,
                    "in",
                    text,
                ):
                    return _event(row)
        return None

    def events(self, record_id: str) -> list[RecordEvent]:
        return self._events(lambda e: e.record_id == record_id)

    def caused_by(self, event_id: int) -> list[RecordEvent]:
        return self._events(lambda e: e.cause == event_id)

    def pending_twin_events(self) -> list[RecordEvent]:
        return self._events(lambda e: e.on_twin and e.twin_position is None)

    def mark_on_twin(self, event_id: int, position: int, message_id: str) -> None:
        with self._tables.write() as t:
            if 0 < event_id <= len(t.events):
                row = t.events[event_id - 1]
                t.events[event_id - 1] = _Event(
                    replace(row.event, twin_position=position), row.state
                )

    def _events(self, wanted: Callable[[RecordEvent], bool]) -> list[RecordEvent]:
        with self._tables.read() as t:
            return [_event(row) for row in t.events if wanted(row.event)]

    # -- the owner rules (plaza.energy.backend.onboarding) ------------------------------

    def standing(self, asset_id: str) -> Standing | None:
        with self._tables.read() as t:
            return t.standing.get(asset_id)

    def save_standing(self, standing: Standing, *, now_ms: int) -> None:
        with self._tables.write() as t:
            t.standing[standing.asset_id] = standing

    def open_bids(self, asset_id: str) -> list[TransactionRecord]:
        """The asset's offers and requests still on the book: initial, not contracted."""
        initial = {str(TransactionStatus.INITIAL_OFFER), str(TransactionStatus.INITIAL_REQUEST)}
        with self._tables.read() as t:
            keys = [
                (row.received_ms, key)
                for key, row in t.offers.items()
                if row.asset_id == asset_id and not row.contract_id and row.status in initial
            ]
        keys.sort(key=lambda pair: pair[0])
        found = (self.transaction(TransactionType(side), tx_id) for _, (side, tx_id) in keys)
        return [record for record in found if record is not None]

    # -- twins, log, statistics -------------------------------------------------------

    def twin_channel(self, record_id: str) -> bytes | None:
        with self._tables.read() as t:
            return t.twins.get(record_id)

    def remember_twin(self, record_id: str, channel_id: bytes) -> None:
        with self._tables.write() as t:
            t.twins.setdefault(record_id, bytes(channel_id))

    def statistics(self) -> dict[str, int]:
        with self._tables.read() as t:
            sides = [side for side, _ in t.offers]
            arrived = [row.event.path for row in t.events if row.event.direction == "in"]
            counts = {
                "assets": len(t.assets),
                "offers": sides.count("offer"),
                "requests": sides.count("request"),
                "contracts": len(t.contracts),
            }
        for name, path in COUNTED_LETTERS.items():
            counts[name] = arrived.count(path)
        return counts

    def close(self) -> None:
        """Nothing to release."""


class _Settlements(MemorySettlementStore):
    """:class:`~plaza.market.settlement.SettlementStore` in the marketplace's tables: its
    writes join :meth:`MemoryMarketplaceStore.atomic`, as they join the SQLite transaction."""

    def __init__(self, tables: MemoryTables[_Tables]) -> None:
        self._tables = tables

    @contextmanager
    def _reading(self) -> Iterator[dict[str, Settlement]]:
        with self._tables.read() as t:
            yield t.settlements

    @contextmanager
    def _writing(self) -> Iterator[dict[str, Settlement]]:
        with self._tables.write() as t:
            yield t.settlements


def _state(text: str) -> Transaction:
    return Transaction.from_json(json.loads(text))


def _event(row: _Event) -> RecordEvent:
    return replace(row.event, state=json.loads(row.state))
