"""The generic marketplace: participants, assets, offers and requests, matching, contracts, settlement and audit."""
