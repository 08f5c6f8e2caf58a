"""The ledger proxy test doubles subclass (it lives in :mod:`plaza.ledger.proxy`)."""

from plaza.ledger.proxy import LedgerProxy

__all__ = ["LedgerProxy"]
