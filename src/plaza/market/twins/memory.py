"""The in-memory twin directory and outbox: tests and the embedded demo."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from plaza.market.twins.documents import TwinKind
from plaza.market.twins.outbox import PendingState, Progress, TwinState, Written
from plaza.market.twins.ports import TwinRecord

__all__ = ["MemoryTwinDirectory", "MemoryTwinOutbox"]


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


class MemoryTwinOutbox:
    """The in-memory :class:`~plaza.market.twins.outbox.TwinOutbox`, progress kept in a
    :class:`MemoryTwinDirectory` (one lock around both: as atomic as memory needs)."""

    def __init__(self, directory: MemoryTwinDirectory) -> None:
        self._directory = directory
        self._rows: dict[int, tuple[TwinState, int]] = {}
        self._keys: set[tuple[TwinKind, str, str, str, int]] = set()
        self._written: dict[int, int] = {}  # seq -> written at
        self._messages: dict[int, bytes] = {}  # seq -> message id, where it was seen
        self._lock = threading.Lock()

    def stage(self, states: Sequence[TwinState], *, at_ms: int, orders_through: int = 0) -> int:
        added = 0
        with self._lock:
            for state in states:
                key = (state.kind, state.twin_id, state.doc_type, state.record, state.step)
                if key not in self._keys:
                    self._keys.add(key)
                    self._rows[len(self._rows) + 1] = (state, at_ms)
                    added += 1
            self._directory.set_recorded_through(orders_through)
        return added

    def staged_step(self, kind: TwinKind, twin_id: str) -> int:
        with self._lock:
            steps = [
                s.step for s, _ in self._rows.values() if (s.kind, s.twin_id) == (kind, twin_id)
            ]
        return max(steps, default=0)

    def pending(self, limit: int) -> list[PendingState]:
        with self._lock:
            seqs = [seq for seq in self._rows if seq not in self._written][:limit]
            return [PendingState(seq, *self._rows[seq]) for seq in seqs]

    def pending_of(self, kind: TwinKind, twin_id: str) -> list[PendingState]:
        with self._lock:
            return [
                PendingState(seq, state, at)
                for seq, (state, at) in self._rows.items()
                if seq not in self._written and (state.kind, state.twin_id) == (kind, twin_id)
            ]

    def oldest_pending_ms(self) -> int | None:
        with self._lock:
            first = next((seq for seq in self._rows if seq not in self._written), None)
            return None if first is None else self._rows[first][1]

    def mark_written(
        self, written: Sequence[Written], progress: Sequence[Progress], *, at_ms: int
    ) -> None:
        with self._lock:
            for twin in progress:
                self._directory.advance(
                    twin.kind, twin.twin_id, step=twin.last_step, position=twin.position
                )
            for mark in written:
                if mark.seq not in self._written and mark.message_id is not None:
                    self._messages[mark.seq] = mark.message_id
                self._written.setdefault(mark.seq, at_ms)

    def lags_ms(self) -> list[int]:
        with self._lock:
            return [at - self._rows[seq][1] for seq, at in self._written.items()]

    def written_messages(self) -> list[tuple[int, bytes]]:
        with self._lock:
            return [(self._rows[seq][1], message) for seq, message in self._messages.items()]

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {"pending": len(self._rows) - len(self._written), "written": len(self._written)}
