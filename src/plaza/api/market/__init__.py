"""The marketplace's HTTP API: a FastAPI app over a :class:`MarketServices` bundle.

``create_market_app(services)`` builds it (``plaza.bootstrap.build_market``
builds the services); ``plaza.clients.market.MarketClient`` speaks to it. Routes
live in :mod:`.routes`, wire shapes in :mod:`.schemas`, authentication in
:mod:`.auth`, the error table in :mod:`.errors`, events in :mod:`.notifications`.
"""

from plaza.api.market.app import MARKET_PREFIX, create_market_app
from plaza.api.market.background import Background
from plaza.api.market.contracts_index import ContractIndex
from plaza.api.market.errors import MARKET_STATUS_BY_ERROR
from plaza.api.market.notifications import (
    ASSET_ATTRIBUTES_CHANGED,
    ASSET_CREATED,
    ASSET_DELETED,
    ASSET_STATE_CHANGED,
    CONTRACT_CREATED,
    CONTRACT_STATE_CHANGED,
    ORDER_STATE_CHANGED,
    RECIPIENT_FIELD,
    MarketNotifier,
)
from plaza.api.market.services import MarketApiConfig, MarketServices

__all__ = [
    "ASSET_ATTRIBUTES_CHANGED",
    "ASSET_CREATED",
    "ASSET_DELETED",
    "ASSET_STATE_CHANGED",
    "CONTRACT_CREATED",
    "CONTRACT_STATE_CHANGED",
    "MARKET_PREFIX",
    "MARKET_STATUS_BY_ERROR",
    "ORDER_STATE_CHANGED",
    "RECIPIENT_FIELD",
    "Background",
    "ContractIndex",
    "MarketApiConfig",
    "MarketNotifier",
    "MarketServices",
    "create_market_app",
]
