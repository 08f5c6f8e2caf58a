"""The energy seed's marketplace backend: assets register, offer and request; the bid
manager's matches become signed contracts on their digital twins; each contract's
settlement is relayed between its provider and its consumer.

The domain is :class:`EnergyMarketplace`; its HTTP face is :mod:`plaza.api.energy.backend`,
and :func:`plaza.bootstrap.energy_modules.open_marketplace` opens it from its data
directory.
"""

from plaza.energy.backend.model import ContractAudit, MarketplaceSettings, contract_id_for, seed_bid
from plaza.energy.backend.service import EnergyMarketplace

__all__ = [
    "ContractAudit",
    "EnergyMarketplace",
    "MarketplaceSettings",
    "contract_id_for",
    "seed_bid",
]
