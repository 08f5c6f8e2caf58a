"""The energy seed's bid manager: offers and requests from the marketplace, matched on Plaza's
order book by a pluggable policy (the seed's one-to-one rule by default), pairs sent back
to the marketplace as ``/match`` letters.

``open_bidmanager(data_dir, link=…, queue=…, clock=…, marketplace_url=…, marketplace_key=…,
policy="one_to_one")`` gives a :class:`BidManagerService` (``app``, ``key``, ``handlers()``,
``cycle()``, ``statistics()``, ``close()``).
"""

from plaza.energy.bidmanager.app import (
    DEFAULT_VALIDITY_MS,
    BidManagerService,
    bidmanager_key,
    create_bidmanager_app,
    open_bidmanager,
)
from plaza.energy.bidmanager.model import Bid, BidRecord, BidState
from plaza.energy.bidmanager.service import ENERGY, EnergyBidManager

__all__ = [
    "DEFAULT_VALIDITY_MS",
    "ENERGY",
    "Bid",
    "BidManagerService",
    "BidRecord",
    "BidState",
    "EnergyBidManager",
    "bidmanager_key",
    "create_bidmanager_app",
    "open_bidmanager",
]
