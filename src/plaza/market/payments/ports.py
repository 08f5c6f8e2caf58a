"""The ledger as a paying agent needs it: compose a transfer apart from submitting it.

A wallet composes and submits in one go; settlement must keep the exact signed
bytes *before* they reach a node (so a retry after a crash resubmits the same
transfer and never signs a second one). :class:`TransferLedger` is therefore the
ledger's reading, composing and submitting roles (:mod:`plaza.ledger.ports`)
kept apart, with the ledger's own time (the latest milestone's), which is what
decides whether an old transfer can still apply.

Either ledger adapter serves (:mod:`plaza.adapters.ledger`); both raise the
:class:`~plaza.ledger.errors.LedgerAccessError` family.
"""

from __future__ import annotations

from typing import Protocol

from plaza.ledger.ports import Composer, LedgerReader, Submitter

__all__ = ["TransferLedger"]


class TransferLedger(LedgerReader, Composer, Submitter, Protocol):
    """Transfers composed here, submitted there, and what the ledger says of them."""
