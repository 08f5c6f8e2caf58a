"""What the asset registry needs: a directory of every asset state, the assets' twins,
and whom to tell about each asset change (:class:`AssetListener`).

Adapters: :mod:`plaza.market.assets.memory` (in memory) and
:mod:`plaza.market.sql.asset_store` (the market's database), under one contract suite.
"""

from __future__ import annotations

from typing import Protocol

from plaza.market.assets.model import AssetQuery
from plaza.market.model import Asset

__all__ = ["AssetDirectory", "AssetListener", "AssetTwins"]


class AssetTwins(Protocol):
    """Records each asset state on the asset's digital twin (a channel on the ledger).

    The bid manager calls :meth:`record_asset` after a state is stored (in the same
    unit of work, :mod:`plaza.market.units`), and on start
    records again every state past :meth:`asset_recorded_through`, so a crash
    between the store and the twin loses no state (at-least-once; adapters deduplicate
    by version).
    """

    def record_asset(self, state: Asset) -> None:
        """Record (or queue, to record later) one state. Only a recorder staging in the
        registry's unit of work raises (a database failure, undoing the state with it)."""
        ...

    def asset_recorded_through(self, asset_id: str) -> int:
        """The last version on the asset's twin, 0 for none."""
        ...


class AssetListener(Protocol):
    """Hears each new asset state once, as it happens (the API's notifications).

    Unlike the twins it is not caught up after a restart: it hears of a state
    only when the bid manager stores it, never of a replayed registration or an
    update that changed nothing.
    """

    def asset_changed(self, before: Asset | None, after: Asset) -> None:
        """Called after ``after`` is stored; ``before`` is the state it replaced (``None``
        for a registration). Must not raise."""
        ...


class AssetDirectory(Protocol):
    """The registered assets and every state each went through.

    Each write is atomic and checked like a journal append: a state is stored only
    as the next version of what is stored, so a second writer fails loudly
    (:class:`~plaza.market.errors.AssetConflict`) instead of losing a state.
    """

    def add(self, asset: Asset, *, idempotency_key: str | None = None) -> None:
        """Store a new asset (its first state). Raise ``AssetConflict``, storing nothing, if
        the id is taken or the owner already used ``idempotency_key``."""
        ...

    def save(self, asset: Asset) -> None:
        """Store the next state of a known asset. Raise ``AssetConflict``, storing nothing,
        unless the stored version is ``asset.version - 1``."""
        ...

    def get(self, asset_id: str) -> Asset | None:
        """The asset's current state, or None."""
        ...

    def by_key(self, owner: str, idempotency_key: str) -> Asset | None:
        """The current state of the asset ``owner`` registered with this key, or None."""
        ...

    def history(self, asset_id: str) -> list[Asset]:
        """Every state of the asset, oldest (version 1) first; empty if unknown."""
        ...

    def search(self, query: AssetQuery) -> list[Asset]:
        """One page of the assets that fit ``query``, oldest registration first (every one
        that fits when ``query.limit`` is None)."""
        ...

    def count(self) -> int:
        """How many assets were ever registered (removed ones stay counted)."""
        ...
