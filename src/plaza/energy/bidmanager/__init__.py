"""The energy seed's bid manager: offers and requests from the marketplace, matched on Plaza's
order book by a pluggable policy (the seed's one-to-one rule by default), pairs sent back
to the marketplace as ``/match`` letters.

The domain is :class:`EnergyBidManager`; its HTTP face is
:mod:`plaza.api.energy.bidmanager`, and
:func:`plaza.bootstrap.energy_modules.open_bidmanager` opens it from its data directory.
"""

from plaza.energy.bidmanager.model import Bid, BidRecord, BidState
from plaza.energy.bidmanager.service import ENERGY, EnergyBidManager

__all__ = ["ENERGY", "Bid", "BidRecord", "BidState", "EnergyBidManager"]
