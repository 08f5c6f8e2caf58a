"""Settlements in a dict: the reference adapter of :class:`SettlementStore`, for tests.

An adapter that keeps its settlements in tables of its own (so that they change in
the same transaction as its other records) subclasses it and overrides
:meth:`MemorySettlementStore._reading` and :meth:`MemorySettlementStore._writing`.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import replace

from plaza.market.settlement.errors import ConcurrentUpdate
from plaza.market.settlement.model import Phase, Settlement

__all__ = ["MemorySettlementStore"]


class MemorySettlementStore:
    def __init__(self) -> None:
        self._settlements: dict[str, Settlement] = {}
        self._lock = threading.Lock()

    @contextmanager
    def _reading(self) -> Iterator[dict[str, Settlement]]:
        """The settlements by contract id, for lookups that must see one state."""
        with self._lock:
            yield self._settlements

    @contextmanager
    def _writing(self) -> Iterator[dict[str, Settlement]]:
        """The settlements by contract id, for a change that lands whole or not at all."""
        with self._lock:
            yield self._settlements

    def get(self, contract_id: str) -> Settlement | None:
        with self._reading() as settlements:
            return settlements.get(contract_id)

    def create(self, settlement: Settlement) -> Settlement:
        with self._writing() as settlements:
            return settlements.setdefault(settlement.id, settlement)

    def save(self, settlement: Settlement) -> Settlement:
        with self._writing() as settlements:
            stored = settlements.get(settlement.id)
            if stored is None or stored.version != settlement.version:
                raise ConcurrentUpdate(settlement.id, settlement.version)
            saved = replace(settlement, version=settlement.version + 1)
            settlements[settlement.id] = saved
            return saved

    def find(
        self,
        phases: Collection[Phase],
        *,
        consumer: str | None = None,
        due_before_ms: int | None = None,
        limit: int = 100,
    ) -> list[Settlement]:
        with self._reading() as settlements:
            found = [
                s
                for s in settlements.values()
                if s.phase in phases
                and (consumer is None or s.contract.consumer == consumer)
                and (due_before_ms is None or s.deadline_ms <= due_before_ms)
            ]
        found.sort(key=lambda s: (s.contract.created_at_ms, s.id))
        return found[: max(limit, 0)]
