"""The ledger as the energy modules use it: one :class:`~plaza.ledger.ports.Ledger`.

Every module reaches the tangle through the same node, in this process (the
embedded demo: :class:`~plaza.adapters.ledger.local.LocalLedger`) or over HTTP
(modules running as separate services:
:class:`~plaza.adapters.ledger.remote.RemoteLedger`); the composition root
picks the adapter. Beside it, :meth:`LedgerAccess.confirmed`: the one question every
module asks of a twin entry or a payment.
"""

from __future__ import annotations

from dataclasses import dataclass

from plaza.ledger.ports import Ledger

__all__ = ["LedgerAccess"]


@dataclass(frozen=True, slots=True)
class LedgerAccess:
    ledger: Ledger

    def confirmed(self, message_id: bytes) -> bool:
        """Whether a milestone references the message (a twin entry, a payment)."""
        metadata = self.ledger.metadata(message_id)
        return metadata is not None and metadata.milestone_index is not None
