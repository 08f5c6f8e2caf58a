"""In-memory adapters of the assets' ports: for tests, benchmarks and the embedded demo.

They keep the ports' promises within one process (a state stored only as the
next version, unique idempotency keys, twin states recorded once per version)
and lose everything when the process ends.
"""

from __future__ import annotations

import threading

from plaza.market.assets.model import AssetQuery, select_assets
from plaza.market.errors import AssetConflict
from plaza.market.model import Asset

__all__ = ["MemoryAssetDirectory", "MemoryAssetTwins"]


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
