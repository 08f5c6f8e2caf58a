"""The in-memory :class:`~plaza.market.twins.ports.TwinDirectory`: tests and the embedded demo."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace

from plaza.market.twins.documents import TwinKind
from plaza.market.twins.ports import TwinRecord

__all__ = ["MemoryTwinDirectory"]


class MemoryTwinDirectory:
    def __init__(self) -> None:
        self._records: dict[tuple[TwinKind, str], TwinRecord] = {}
        self._through = 0
        self._lock = threading.Lock()

    def get(self, kind: TwinKind, record_id: str) -> TwinRecord | None:
        with self._lock:
            return self._records.get((kind, record_id))

    def add(self, record: TwinRecord) -> TwinRecord:
        with self._lock:
            return self._records.setdefault((record.kind, record.record_id), record)

    def advance(
        self, kind: TwinKind, record_id: str, *, step: int, position: int, ready: bool = False
    ) -> TwinRecord:
        with self._lock:
            stored = self._records[(kind, record_id)]
            moved = replace(
                stored,
                last_step=max(stored.last_step, step),
                position=max(stored.position, position),
                ready=stored.ready or ready,
            )
            self._records[(kind, record_id)] = moved
            return moved

    def recorded_through(self) -> int:
        with self._lock:
            return self._through

    def set_recorded_through(self, step: int) -> None:
        with self._lock:
            self._through = max(self._through, step)

    def statistics(self) -> dict[str, int]:
        with self._lock:
            counts = Counter(kind for kind, _ in self._records)
            through = self._through
        return {**{f"{kind.value}_twins": counts[kind] for kind in TwinKind}, "through": through}
