"""The energy seed's four modules over HTTP: each its own FastAPI app, replying ``{success, …}``.

* :mod:`.asset` - one device (:class:`AssetService`);
* :mod:`.backend` - the marketplace backend (:class:`MarketplaceService`);
* :mod:`.bidmanager` - the bid manager (:class:`BidManagerService`);
* :mod:`.owner` - the user module and the owners' API (:class:`OwnerService`);
* :mod:`.replies` - the seed's reply convention, one place for every app;
* :mod:`.link` - :class:`HttpLink`, the letters' ``Link`` (market/auth/outbox) over httpx.

The ``*Service`` wrappers hold a module's app, jobs and cycle; which adapters,
keys and files they run on is chosen by :mod:`plaza.bootstrap.energy_modules`.
"""

from plaza.api.energy.asset import AssetService, create_asset_app
from plaza.api.energy.backend import MarketplaceService, create_marketplace_app
from plaza.api.energy.bidmanager import BidManagerService, create_bidmanager_app
from plaza.api.energy.link import HttpLink
from plaza.api.energy.owner import OwnerService, create_owner_app

__all__ = [
    "AssetService",
    "BidManagerService",
    "HttpLink",
    "MarketplaceService",
    "OwnerService",
    "create_asset_app",
    "create_bidmanager_app",
    "create_marketplace_app",
    "create_owner_app",
]
