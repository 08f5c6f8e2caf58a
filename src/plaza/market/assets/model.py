"""An asset's lifecycle as pure functions, and the questions asked of registered assets.

An asset (:class:`~plaza.market.model.Asset`) goes through states, one version each::

    registered (active) -> updated* -> disabled <-> enabled -> ... -> removed

* **active**: orders may name it (its owner's, of its kind);
* **disabled**: kept and still editable, but no new order may name it; the open
  orders that already do run their course;
* **removed**: retired for good; refused while open orders still name it.

Every function here returns the next state (version + 1, the event that made it,
the time) or raises :class:`~plaza.market.errors.AssetNotActive`; none stores
anything. The bid manager stores each state and hands it to the twin recorder,
so an asset's twin holds every state it went through.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from plaza.market.errors import AssetNotActive
from plaza.market.matching import haversine_km
from plaza.market.model import (
    Asset,
    AssetEvent,
    AssetStatus,
    Attributes,
    Location,
    NewAsset,
    check_asset,
)

__all__ = [
    "MAX_ASSETS",
    "AssetChange",
    "AssetQuery",
    "change_asset",
    "disable_asset",
    "enable_asset",
    "remove_asset",
    "select_assets",
]

#: Assets one search returns at most.
MAX_ASSETS = 500


@dataclass(frozen=True, slots=True)
class AssetChange:
    """An owner's new description of an asset: what may change (not its kind or owner)."""

    name: str
    location: Location | None = None
    attributes: Attributes = ()


@dataclass(frozen=True, slots=True)
class AssetQuery:
    """A search of registered assets; every given field narrows it.

    ``statuses`` empty means any status; the default is the public page's: active ones.
    ``limit`` None means every asset that fits (the recorder's catch-up; never the API's).
    """

    kind: str | None = None
    owner: str | None = None
    statuses: frozenset[AssetStatus] = field(
        default_factory=lambda: frozenset({AssetStatus.ACTIVE})
    )
    near: Location | None = None
    radius_km: float | None = None
    limit: int | None = 100
    offset: int = 0

    def fits(self, asset: Asset) -> bool:
        """Whether ``asset`` is one this query asks for (paging aside)."""
        if self.kind is not None and asset.kind != self.kind:
            return False
        if self.owner is not None and asset.owner != self.owner:
            return False
        if self.statuses and asset.status not in self.statuses:
            return False
        if self.near is None or self.radius_km is None:
            return True
        return asset.location is not None and (
            haversine_km(self.near, asset.location) <= self.radius_km
        )


def select_assets(assets: Iterable[Asset], query: AssetQuery) -> list[Asset]:
    """The assets that fit ``query``, oldest registration first, one page of them."""
    found = sorted((a for a in assets if query.fits(a)), key=lambda a: (a.registered_at_ms, a.id))
    start = max(query.offset, 0)
    if query.limit is None:
        return found[start:]
    return found[start : start + max(min(query.limit, MAX_ASSETS), 0)]


def _next(asset: Asset, event: AssetEvent, at_ms: int) -> Asset:
    """``asset`` (already changed) as the state after its current one."""
    return replace(asset, version=asset.version + 1, event=event, updated_at_ms=at_ms)


def _require(asset: Asset, allowed: set[AssetStatus], action: str) -> None:
    if asset.status not in allowed:
        raise AssetNotActive(asset.id, asset.status.value, action)


def change_asset(asset: Asset, change: AssetChange, at_ms: int) -> Asset | None:
    """The asset described anew; ``None`` if nothing would change (a retried update)."""
    _require(asset, {AssetStatus.ACTIVE, AssetStatus.DISABLED}, "update it")
    check_asset(NewAsset(asset.owner, asset.kind, change.name, change.location, change.attributes))
    if (asset.name, asset.location, asset.attributes) == (
        change.name,
        change.location,
        change.attributes,
    ):
        return None
    described = replace(
        asset, name=change.name, location=change.location, attributes=change.attributes
    )
    return _next(described, AssetEvent.UPDATED, at_ms)


def disable_asset(asset: Asset, at_ms: int) -> Asset:
    """Stop new orders naming an active asset."""
    _require(asset, {AssetStatus.ACTIVE}, "disable it")
    return _next(replace(asset, status=AssetStatus.DISABLED), AssetEvent.DISABLED, at_ms)


def enable_asset(asset: Asset, at_ms: int) -> Asset:
    """Let orders name a disabled asset again."""
    _require(asset, {AssetStatus.DISABLED}, "enable it")
    return _next(replace(asset, status=AssetStatus.ACTIVE), AssetEvent.ENABLED, at_ms)


def remove_asset(asset: Asset, at_ms: int) -> Asset:
    """Retire an asset for good (the caller has checked no open order names it)."""
    _require(asset, {AssetStatus.ACTIVE, AssetStatus.DISABLED}, "remove it")
    return _next(replace(asset, status=AssetStatus.REMOVED), AssetEvent.REMOVED, at_ms)
