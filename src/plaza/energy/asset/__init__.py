"""The asset module of the energy seed: one producing or consuming device.

:func:`open_asset` opens a device from its data directory and returns an
:class:`AssetService` (its FastAPI ``app``, its public ``key``, its ``module``,
its ``wallet_address``, its jobs' ``handlers()``, its ``cycle()``). The domain
is :class:`AssetModule`; ``docs/energy.md`` is the protocol it speaks.
"""

from plaza.energy.asset.app import AssetService, build_app, open_asset
from plaza.energy.asset.config import AssetConfig, AssetSettings, RunStatus
from plaza.energy.asset.module import AssetModule
from plaza.energy.asset.store import DB_NAME, SqliteAssetStore

__all__ = [
    "DB_NAME",
    "AssetConfig",
    "AssetModule",
    "AssetService",
    "AssetSettings",
    "RunStatus",
    "SqliteAssetStore",
    "build_app",
    "open_asset",
]
