"""The energy seed's marketplace backend: assets register, offer and request; the bid
manager's matches become signed contracts on their digital twins; each contract's
settlement is relayed between its provider and its consumer.

``open_marketplace(data_dir, ledger=…, link=…, queue=…, clock=…, bidmanager_url=…,
bidmanager_key=…)`` gives a :class:`MarketplaceService` (``app``, ``key``,
``handlers()``, ``cycle()``, ``statistics()``, ``audit(contract_id)``, ``close()``).
"""

from plaza.energy.backend.app import (
    MarketplaceService,
    create_marketplace_app,
    marketplace_key,
    open_marketplace,
)
from plaza.energy.backend.model import (
    BIDMANAGER,
    MARKETPLACE,
    ContractAudit,
    MarketplaceSettings,
    contract_id_for,
    seed_bid,
)
from plaza.energy.backend.service import Marketplace

__all__ = [
    "BIDMANAGER",
    "MARKETPLACE",
    "ContractAudit",
    "Marketplace",
    "MarketplaceService",
    "MarketplaceSettings",
    "contract_id_for",
    "create_marketplace_app",
    "marketplace_key",
    "open_marketplace",
    "seed_bid",
]
