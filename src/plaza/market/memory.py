"""In-memory adapters of every market port: for tests, benchmarks and the embedded demo.

They keep the ports' promises within one process (atomic appends, step order,
unique idempotency keys, deduplicated twin records) and lose everything when
the process ends. A "restart" in tests is a new bid manager over the same store.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from plaza.market.assets import AssetQuery, select_assets
from plaza.market.errors import AssetConflict, JournalConflict, TwinUnavailable
from plaza.market.journal import JournalEntry, OrderChange
from plaza.market.model import Asset

__all__ = ["MemoryAssetDirectory", "MemoryAssetTwins", "MemoryBookStore", "MemoryOrderTwins"]


class MemoryBookStore:
    """The journal as a list; :meth:`append` checks what a database constraint would."""

    def __init__(self) -> None:
        self._entries: list[JournalEntry] = []
        self._keys: set[tuple[str, str]] = set()
        self.closed = False

    def append(self, entry: JournalEntry) -> None:
        if entry.step != len(self._entries) + 1:
            raise JournalConflict(entry.step, f"the journal is at step {len(self._entries)}")
        key = _key(entry)
        if key is not None and key in self._keys:
            raise JournalConflict(entry.step, f"idempotency key {key[1]!r} already used")
        self._entries.append(entry)
        if key is not None:
            self._keys.add(key)

    def entries(self, *, after_step: int = 0) -> Iterator[JournalEntry]:
        return iter(self._entries[max(after_step, 0) :])

    def entry(self, step: int) -> JournalEntry | None:
        return self._entries[step - 1] if 0 < step <= len(self._entries) else None

    def last_step(self) -> int:
        return len(self._entries)

    def close(self) -> None:
        self.closed = True


class MemoryOrderTwins:
    """Records changes in a list. Set ``available`` false to act like an unreachable ledger."""

    def __init__(self) -> None:
        self.changes: list[OrderChange] = []
        self.available = True
        self._through = 0

    def record(self, changes: Sequence[OrderChange]) -> None:
        if not self.available:
            raise TwinUnavailable("the in-memory twin recorder is switched off")
        fresh = [change for change in changes if change.step > self._through]
        self.changes.extend(fresh)
        if fresh:
            self._through = max(change.step for change in fresh)

    def recorded_through(self) -> int:
        return self._through

    def history(self, order_id: str) -> list[OrderChange]:
        """The states one order's twin went through, oldest first."""
        return [change for change in self.changes if change.order.id == order_id]


class MemoryAssetDirectory:
    """Every state of every asset in lists; writes check what the SQL constraints would."""

    def __init__(self) -> None:
        self._states: dict[str, list[Asset]] = {}
        self._keys: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def add(self, asset: Asset, *, idempotency_key: str | None = None) -> None:
        with self._lock:
            if asset.id in self._states:
                raise AssetConflict(asset.id, "the id is taken")
            key = None if idempotency_key is None else (asset.owner, idempotency_key)
            if key is not None and key in self._keys:
                raise AssetConflict(asset.id, f"idempotency key {idempotency_key!r} already used")
            self._states[asset.id] = [asset]
            if key is not None:
                self._keys[key] = asset.id

    def save(self, asset: Asset) -> None:
        with self._lock:
            states = self._states.get(asset.id)
            if states is None or states[-1].version != asset.version - 1:
                raise AssetConflict(asset.id, f"version {asset.version} does not follow")
            states.append(asset)

    def get(self, asset_id: str) -> Asset | None:
        with self._lock:
            states = self._states.get(asset_id)
            return None if states is None else states[-1]

    def by_key(self, owner: str, idempotency_key: str) -> Asset | None:
        with self._lock:
            asset_id = self._keys.get((owner, idempotency_key))
        return None if asset_id is None else self.get(asset_id)

    def history(self, asset_id: str) -> list[Asset]:
        with self._lock:
            return list(self._states.get(asset_id, ()))

    def search(self, query: AssetQuery) -> list[Asset]:
        return select_assets(self._current(), query)

    def count(self) -> int:
        with self._lock:
            return len(self._states)

    def _current(self) -> list[Asset]:
        with self._lock:
            return [states[-1] for states in self._states.values()]


class MemoryAssetTwins:
    """Records asset states in a list, once per version."""

    def __init__(self) -> None:
        self.states: list[Asset] = []

    def record_asset(self, state: Asset) -> None:
        if state.version > self.asset_recorded_through(state.id):
            self.states.append(state)

    def asset_recorded_through(self, asset_id: str) -> int:
        return max((s.version for s in self.states if s.id == asset_id), default=0)

    def history(self, asset_id: str) -> list[Asset]:
        """The states one asset's twin went through, oldest first."""
        return [state for state in self.states if state.id == asset_id]


def _key(entry: JournalEntry) -> tuple[str, str] | None:
    if entry.participant is None or entry.idempotency_key is None:
        return None
    return (entry.participant, entry.idempotency_key)
