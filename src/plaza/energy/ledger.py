"""The ledger as the energy modules use it: one :class:`~plaza.ledger.ports.Ledger`.

Every module reaches the tangle through the same node, in this process (the
embedded demo: :class:`~plaza.adapters.ledger.local.LocalLedger`) or over HTTP
(modules running as separate services:
:class:`~plaza.adapters.ledger.remote.RemoteLedger`); the composition root
picks the adapter. The three views name what a module uses it for:

* ``transfers``: compose, submit and read back transfers (payments, funding);
* ``channels``: the ledger digital twins are written to and read from;
* ``wallet``: balances, histories and the devnet faucet (the owner's "Add funds").
"""

from __future__ import annotations

from dataclasses import dataclass

from plaza.ledger.ports import Ledger

__all__ = ["LedgerAccess"]


@dataclass(frozen=True, slots=True)
class LedgerAccess:
    ledger: Ledger

    @property
    def transfers(self) -> Ledger:
        return self.ledger

    @property
    def channels(self) -> Ledger:
        return self.ledger

    @property
    def wallet(self) -> Ledger:
        return self.ledger

    def confirmed(self, message_id: bytes) -> bool:
        """Whether a milestone references the message (a twin entry, a payment)."""
        metadata = self.ledger.metadata(message_id)
        return metadata is not None and metadata.milestone_index is not None
