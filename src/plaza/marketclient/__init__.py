"""A Python client of the marketplace's HTTP API, signing every request it sends.

::

    with MarketClient("http://127.0.0.1:8660", identity=Identity.generate()) as market:
        market.register("ev charger 12", roles=[Role.CONSUMER])
        bought = market.request(OrderTerms("energy", 20, 16, start, end))

A separate package from :mod:`plaza.client` (the node's client) because it
speaks the marketplace's protocol with the marketplace's own code
(:func:`~plaza.market.auth.sign_request`, sealed bodies, signed contracts), so
it sits above :mod:`plaza.market`, beside :mod:`plaza.api` and independent of
it: a client never imports the server. Errors are :mod:`plaza.client`'s.
"""

from plaza.marketclient.assets import AssetRegistered, AssetTerms
from plaza.marketclient.audit import SentKey
from plaza.marketclient.client import MarketClient
from plaza.marketclient.models import (
    ApiKeyRecord,
    ContractRecord,
    HubSubscription,
    IssuedApiKey,
    MarketInfo,
    SettlementState,
    Submission,
)
from plaza.marketclient.orders import OrderTerms
from plaza.marketclient.transport import MARKET_PREFIX, SystemClock

__all__ = [
    "MARKET_PREFIX",
    "ApiKeyRecord",
    "AssetRegistered",
    "AssetTerms",
    "ContractRecord",
    "HubSubscription",
    "IssuedApiKey",
    "MarketClient",
    "MarketInfo",
    "OrderTerms",
    "SentKey",
    "SettlementState",
    "Submission",
    "SystemClock",
]
