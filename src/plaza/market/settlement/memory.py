"""Settlements in a dict: the reference adapter of :class:`SettlementStore`, for tests."""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import replace

from plaza.market.settlement.errors import ConcurrentUpdate
from plaza.market.settlement.model import Phase, Settlement

__all__ = ["MemorySettlementStore"]


class MemorySettlementStore:
    def __init__(self) -> None:
        self._settlements: dict[str, Settlement] = {}
        self._lock = threading.Lock()

    def get(self, contract_id: str) -> Settlement | None:
        with self._lock:
            return self._settlements.get(contract_id)

    def create(self, settlement: Settlement) -> Settlement:
        with self._lock:
            return self._settlements.setdefault(settlement.id, settlement)

    def save(self, settlement: Settlement) -> Settlement:
        with self._lock:
            stored = self._settlements.get(settlement.id)
            if stored is None or stored.version != settlement.version:
                raise ConcurrentUpdate(settlement.id, settlement.version)
            saved = replace(settlement, version=settlement.version + 1)
            self._settlements[settlement.id] = saved
            return saved

    def find(
        self,
        phases: Collection[Phase],
        *,
        consumer: str | None = None,
        due_before_ms: int | None = None,
        limit: int = 100,
    ) -> list[Settlement]:
        with self._lock:
            found = [
                s
                for s in self._settlements.values()
                if s.phase in phases
                and (consumer is None or s.contract.consumer == consumer)
                and (due_before_ms is None or s.deadline_ms <= due_before_ms)
            ]
        found.sort(key=lambda s: (s.contract.created_at_ms, s.id))
        return found[:limit]
