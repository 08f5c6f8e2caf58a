"""The asset module of the energy seed: one producing or consuming device.

The domain is :class:`AssetModule` (its configuration and settings in
:mod:`.config`, its money in :mod:`.payments` and :mod:`.paying` over the market's
settlement, its owner's funding in :mod:`.funding`); ``docs/energy.md`` is the
protocol it speaks. Its HTTP face is :mod:`plaza.api.energy.asset`, and
:func:`plaza.bootstrap.energy_modules.open_asset` opens a device from its data
directory.
"""

from plaza.energy.asset.config import AssetConfig, AssetSettings, RunStatus
from plaza.energy.asset.module import AssetModule

__all__ = ["AssetConfig", "AssetModule", "AssetSettings", "RunStatus"]
