"""The asset's database in memory: :class:`~plaza.energy.asset.ports.AssetStore` for tests.

It keeps the SQLite adapter's promises within one process (one contract suite checks
both, ``tests/contract/test_energy_asset_store.py``): a change and its event, the pool,
the queue and the log move together or not at all; a transaction keeps the time it was
first stored; a record is queued once, in the order it was first queued; a twin
channel, once remembered, stays. The device's payments are the market's
:class:`~plaza.market.settlement.MemorySettlementStore`. States are kept as the JSON
text SQLite keeps, so what comes back is what the SQLite adapter would give. ``close``
releases nothing: a "restart" in a test is a new module over the same store.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from plaza.energy.asset.config import Change, OwnTransaction, Pool
from plaza.energy.memory import MemoryTables, check_int64
from plaza.energy.model import EnergyContract, Transaction
from plaza.market.settlement import MemorySettlementStore
from plaza.market.twins.records import MemoryTwinIndex

__all__ = ["MemoryAssetStore"]

_LOG_DETAIL = 1000  # characters of a log line's detail kept, as the SQLite adapter keeps


@dataclass(frozen=True, slots=True)
class _Row:
    """One row of ``transactions``: the state and contract as JSON text."""

    status: str
    state: str
    contract: str | None
    created_ms: int
    idle_since_ms: int
    claimed: bool


@dataclass
class _Tables:
    config: str | None = None
    energy: int = 0
    reserved: int = 0
    transactions: dict[str, _Row] = field(default_factory=dict)
    events: list[tuple[str, int, str, str]] = field(default_factory=list)  # id, at, state, msg
    queue: dict[str, int] = field(default_factory=dict)  # record id to its place, in order
    queued_so_far: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)


class MemoryAssetStore(MemoryTwinIndex):
    """:class:`~plaza.energy.asset.ports.AssetStore` in dicts and lists; its twin index is
    the market's :class:`~plaza.market.twins.records.MemoryTwinIndex`."""

    def __init__(self) -> None:
        super().__init__()
        self._tables = MemoryTables(_Tables())
        self.settlements = MemorySettlementStore()

    def close(self) -> None:
        """Nothing to release."""

    # configuration and pool

    def load_config(self) -> dict[str, Any] | None:
        with self._tables.read() as t:
            return None if t.config is None else dict(json.loads(t.config))

    def save_config(self, config: Mapping[str, Any], *, now_ms: int) -> None:
        with self._tables.write() as t:
            t.config = json.dumps(dict(config))
            detail = f"configured: status {config.get('status')}"
            _log(t, now_ms, "init", "", ok=True, detail=detail)

    def pool(self) -> Pool:
        with self._tables.read() as t:
            return Pool(t.energy, t.reserved)

    def add_energy(self, energy: int, *, now_ms: int, operation: str) -> Pool:
        check_int64(energy)
        with self._tables.write() as t:
            t.energy += energy
            _log(t, now_ms, operation, "", ok=True, detail=f"{energy:+d} Wh")
            return Pool(t.energy, t.reserved)

    # transactions and events

    def record(self, record_id: str) -> OwnTransaction | None:
        with self._tables.read() as t:
            row = t.transactions.get(record_id)
        return None if row is None else _record(record_id, row)

    def records(self, statuses: Collection[str] | None = None) -> list[OwnTransaction]:
        wanted = None if statuses is None else {str(status) for status in statuses}
        with self._tables.read() as t:
            rows = [
                (rid, row)
                for rid, row in t.transactions.items()
                if wanted is None or row.status in wanted
            ]
        rows.sort(key=lambda pair: (pair[1].created_ms, pair[0]))
        return [_record(rid, row) for rid, row in rows]

    def first_state(self, record_id: str) -> dict[str, Any] | None:
        with self._tables.read() as t:
            found = next((state for rid, _, state, _ in t.events if rid == record_id), None)
        return None if found is None else dict(json.loads(found))

    def events(self, record_id: str) -> list[dict[str, Any]]:
        with self._tables.read() as t:
            rows = [(at, state, msg) for rid, at, state, msg in t.events if rid == record_id]
        return [
            {"at": at, "state": json.loads(state), "twinMessage": msg} for at, state, msg in rows
        ]

    def apply(self, change: Change) -> None:
        record, state = change.record, change.record.state
        text = json.dumps(state.to_json(), sort_keys=True)
        contract = None if record.contract is None else json.dumps(record.contract.to_json())
        now = record.idle_since_ms
        with self._tables.write() as t:
            known = t.transactions.get(record.id)
            created = record.created_ms if known is None else known.created_ms
            t.transactions[record.id] = _Row(
                str(state.status), text, contract, created, now, record.claimed
            )
            t.events.append((record.id, now, text, change.twin_message))
            check_int64(change.energy, change.reserved)  # inside: a refusal undoes the above
            t.energy += change.energy
            t.reserved += change.reserved
            _queue(t, record.id, change.queue)
            _log(t, now, change.operation, record.id, ok=True, detail=str(state.status))

    def touch(self, record_id: str, *, now_ms: int, queue: bool | None = None) -> None:
        with self._tables.write() as t:
            row = t.transactions.get(record_id)
            if row is not None:
                t.transactions[record_id] = _Row(
                    row.status, row.state, row.contract, row.created_ms, now_ms, row.claimed
                )
            _queue(t, record_id, queue)

    def counts(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        with self._tables.read() as t:
            for row in t.transactions.values():
                counted[row.status] = counted.get(row.status, 0) + 1
        return counted

    # the payment queue

    def queued(self, limit: int) -> list[OwnTransaction]:
        with self._tables.read() as t:
            order = sorted(t.queue, key=t.queue.__getitem__)
            rows = [(rid, t.transactions[rid]) for rid in order if rid in t.transactions]
        return [_record(rid, row) for rid, row in rows[: max(limit, 0)]]

    # the log

    def log(
        self, operation: str, detail: str, *, now_ms: int, record_id: str = "", ok: bool = True
    ) -> None:
        with self._tables.write() as t:
            _log(t, now_ms, operation, record_id, ok=ok, detail=detail)

    def log_lines(self, *, limit: int = 100) -> list[dict[str, Any]]:
        with self._tables.read() as t:
            newest = t.log[::-1][: max(limit, 0)]
        return [dict(line) for line in newest]


def _record(record_id: str, row: _Row) -> OwnTransaction:
    return OwnTransaction(
        id=record_id,
        state=Transaction.from_json(json.loads(row.state)),
        created_ms=row.created_ms,
        idle_since_ms=row.idle_since_ms,
        contract=None
        if row.contract is None
        else EnergyContract.from_json(json.loads(row.contract)),
        claimed=row.claimed,
    )


def _queue(t: _Tables, record_id: str, queue: bool | None) -> None:
    if queue is True and record_id not in t.queue:
        t.queued_so_far += 1
        t.queue[record_id] = t.queued_so_far
    elif queue is False:
        t.queue.pop(record_id, None)


def _log(t: _Tables, now_ms: int, operation: str, record_id: str, *, ok: bool, detail: str) -> None:
    line = {
        "at": now_ms,
        "operation": operation,
        "recordId": record_id,
        "ok": ok,
        "detail": detail[:_LOG_DETAIL],
    }
    t.log.append(line)
