"""A Python client of the marketplace's HTTP API, signing every request it sends.

::

    with MarketClient("http://127.0.0.1:8660", identity=Identity.generate()) as market:
        market.register("ev charger 12", roles=[Role.CONSUMER])
        bought = market.request(OrderTerms("energy", 20, 16, start, end))

Beside :mod:`plaza.clients.node` (the node's client) but a layer above it:
it speaks the marketplace's protocol with the marketplace's own code
(:func:`~plaza.market.auth.sign_request`, sealed bodies, signed contracts), so
it sits above :mod:`plaza.market`, beside :mod:`plaza.api` and independent of
it: a client never imports the server. Errors are :mod:`plaza.clients.errors`,
shared with the node's client.
"""

from plaza.clients.market.assets import AssetRegistered, AssetTerms
from plaza.clients.market.audit import SentKey
from plaza.clients.market.client import MarketClient
from plaza.clients.market.models import (
    ApiKeyRecord,
    ContractRecord,
    HubSubscription,
    IssuedApiKeyRecord,
    MarketInfo,
    SettlementState,
    SubmissionRecord,
)
from plaza.clients.market.orders import OrderTerms
from plaza.clients.market.transport import MARKET_PREFIX, SystemClock

__all__ = [
    "MARKET_PREFIX",
    "ApiKeyRecord",
    "AssetRegistered",
    "AssetTerms",
    "ContractRecord",
    "HubSubscription",
    "IssuedApiKeyRecord",
    "MarketClient",
    "MarketInfo",
    "OrderTerms",
    "SentKey",
    "SettlementState",
    "SubmissionRecord",
    "SystemClock",
]
