"""The bid manager's asset commands: register, describe anew, disable, enable, remove.

:class:`AssetRegistry` applies the lifecycle of :mod:`plaza.market.assets.model` to the
states kept in the :class:`~plaza.market.assets.ports.AssetDirectory`: each new state is
stored first, then handed to the asset twins, which :meth:`AssetRegistry.sync_twins`
catches up from the stored states after a restart, and then to the
:class:`~plaza.market.assets.ports.AssetListener` (the API's notifications), which hears
of each new state exactly once: never of a replayed registration, an update that
changed nothing, or a catch-up. It answers for the orders that name an asset too
(:meth:`AssetRegistry.check_use`).

It holds no lock of its own: :class:`~plaza.market.book.service.BidManager` calls it
under the book's lock, which is what keeps an asset from being removed while an
order naming it is accepted. It lives apart from the order book's use cases
because assets change by their own rules and storage, never through the journal.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from plaza.clock import Clock
from plaza.market.assets.model import (
    AssetChange,
    AssetQuery,
    change_asset,
    disable_asset,
    enable_asset,
    remove_asset,
)
from plaza.market.assets.ports import AssetDirectory, AssetListener, AssetTwins
from plaza.market.errors import (
    AssetInUse,
    AssetNotActive,
    AssetNotFound,
    IdempotencyConflict,
    InvalidAsset,
    InvalidOrder,
    NotOwner,
)
from plaza.market.model import Asset, AssetStatus, NewAsset, NewOrder, Order, check_asset
from plaza.market.units import UnitOfWork, no_unit

__all__ = ["AssetRegistration", "AssetRegistry"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AssetRegistration:
    """A registered asset as it stands, and whether this was a retry answered from the
    directory (``replayed``) rather than a new registration."""

    asset: Asset
    replayed: bool = False


class AssetRegistry:
    """Assets' use cases over a directory (None: a marketplace without assets refuses them)."""

    def __init__(
        self,
        directory: AssetDirectory | None,
        *,
        twins: AssetTwins | None,
        clock: Clock,
        listener: AssetListener | None = None,
        unit: UnitOfWork = no_unit,
    ) -> None:
        self._directory = directory
        self._twins = twins
        self._clock = clock
        self._listener = listener
        self._unit = unit

    def register(self, spec: NewAsset, *, idempotency_key: str | None) -> AssetRegistration:
        """A new asset of ``spec.owner`` with a new id, or the one a retry registered."""
        directory = self._require(InvalidAsset)
        if idempotency_key is not None:
            known = directory.by_key(spec.owner, idempotency_key)
            if known is not None:
                if directory.history(known.id)[0].spec != spec:
                    raise IdempotencyConflict(spec.owner, idempotency_key)
                return AssetRegistration(known, replayed=True)
        check_asset(spec)
        asset_id = f"ast-{directory.count() + 1}"
        asset = Asset.register(spec, asset_id=asset_id, at_ms=self._clock.now_ms())
        with self._unit():  # the state and its twin's state commit together
            directory.add(asset, idempotency_key=idempotency_key)
            self._stage(asset)
        self._tell(None, asset)
        return AssetRegistration(asset)

    def update(self, asset_id: str, change: AssetChange, *, participant: str) -> Asset:
        """The asset described anew; unchanged (no new state) if the description is the same."""
        asset = self._own(asset_id, participant)
        changed = change_asset(asset, change, self._clock.now_ms())
        return asset if changed is None else self._save(asset, changed)

    def disable(self, asset_id: str, *, participant: str) -> Asset:
        asset = self._own(asset_id, participant)
        return self._save(asset, disable_asset(asset, self._clock.now_ms()))

    def enable(self, asset_id: str, *, participant: str) -> Asset:
        asset = self._own(asset_id, participant)
        return self._save(asset, enable_asset(asset, self._clock.now_ms()))

    def remove(self, asset_id: str, *, participant: str, orders: Iterable[Order]) -> Asset:
        """Retire the asset, unless one of ``orders`` (the book's) is open and names it."""
        asset = self._own(asset_id, participant)
        removed = remove_asset(asset, self._clock.now_ms())
        naming = tuple(
            order.id for order in orders if order.asset_id == asset_id and order.status.is_open
        )
        if naming:
            raise AssetInUse(asset_id, naming)
        return self._save(asset, removed)

    def get(self, asset_id: str) -> Asset:
        """An asset's current state; :class:`AssetNotFound` if there is none."""
        asset = self._require(InvalidAsset).get(asset_id)
        if asset is None:
            raise AssetNotFound(asset_id)
        return asset

    def history(self, asset_id: str) -> list[Asset]:
        """Every state the asset went through, oldest (version 1) first: its history as the
        directory kept it (the same states its twin holds); :class:`AssetNotFound` if none."""
        states = self._require(InvalidAsset).history(asset_id)
        if not states:
            raise AssetNotFound(asset_id)
        return states

    def search(self, query: AssetQuery) -> list[Asset]:
        return self._require(InvalidAsset).search(query)

    def sync_twins(self) -> int:
        """Hand the asset twins every stored state they lack; how many."""
        if self._twins is None or self._directory is None:
            return 0
        sent = 0
        for asset in self._directory.search(AssetQuery(statuses=frozenset(), limit=None)):
            through = self._twins.asset_recorded_through(asset.id)
            if through < asset.version:
                for state in self._directory.history(asset.id)[through:]:
                    self._twins.record_asset(state)
                    sent += 1
        return sent

    def check_use(self, spec: NewOrder) -> None:
        """An order naming an asset must be its owner's, of the asset's kind, and active."""
        if spec.asset_id is None:
            return
        asset = self._require(InvalidOrder).get(spec.asset_id)
        if asset is None:
            raise AssetNotFound(spec.asset_id)
        if asset.owner != spec.owner:
            raise NotOwner(spec.asset_id, spec.owner)
        if asset.kind != spec.kind:
            raise InvalidOrder(f"asset {asset.id!r} is of kind {asset.kind!r}, not {spec.kind!r}")
        if asset.status is not AssetStatus.ACTIVE:
            raise AssetNotActive(asset.id, asset.status.value, "name it in an order")

    def _require(self, error: type[InvalidOrder | InvalidAsset]) -> AssetDirectory:
        """The directory; without one, ``error`` (the kind of request that needed it)."""
        if self._directory is None:
            raise error("this marketplace has no asset directory")
        return self._directory

    def _own(self, asset_id: str, participant: str) -> Asset:
        asset = self.get(asset_id)
        if asset.owner != participant:
            raise NotOwner(asset_id, participant)
        return asset

    def _save(self, before: Asset, after: Asset) -> Asset:
        with self._unit():
            self._require(InvalidAsset).save(after)
            self._stage(after)
        self._tell(before, after)
        return after

    def _stage(self, after: Asset) -> None:
        """Hand a state being stored to the twins (in its unit of work)."""
        if self._twins is not None:
            self._twins.record_asset(after)

    def _tell(self, before: Asset | None, after: Asset) -> None:
        """Tell the listener of a stored state (once: only here)."""
        if self._listener is not None:
            try:
                self._listener.asset_changed(before, after)
            except Exception:  # the state is stored: a listener's bug must not refuse it
                log.exception("an asset listener failed on %s (%s)", after.id, after.event)
