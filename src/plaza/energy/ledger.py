"""The ledger as the energy modules use it, in one bundle: payments, twins and the faucet.

Every module reaches the tangle through the same node, in this process
(:meth:`LedgerAccess.local`, the embedded demo) or over HTTP
(:meth:`LedgerAccess.remote`, modules running as separate services):

* ``transfers``: compose, submit and read back transfers (payments, funding);
* ``channels``: the channel gateway digital twins are written to and read from;
* ``wallet``: balances, histories and the devnet faucet (the owner's "Add funds").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from plaza.channels import LedgerGateway
from plaza.channels import LocalGateway as ChannelLocalGateway
from plaza.channels import RemoteGateway as ChannelRemoteGateway
from plaza.client import NodeClient
from plaza.ledger.ports import Clock
from plaza.market.payment_ledgers import LocalTransferLedger, RemoteTransferLedger, TransferLedger
from plaza.node import NodeRuntime
from plaza.wallet import LocalGateway as WalletLocalGateway
from plaza.wallet import RemoteGateway as WalletRemoteGateway
from plaza.wallet.ports import LedgerGateway as WalletGateway

__all__ = ["LedgerAccess"]


@dataclass(frozen=True, slots=True)
class LedgerAccess:
    transfers: TransferLedger
    channels: LedgerGateway
    wallet: WalletGateway

    @classmethod
    def local(cls, runtime: NodeRuntime) -> Self:
        return cls(
            LocalTransferLedger(runtime), ChannelLocalGateway(runtime), WalletLocalGateway(runtime)
        )

    @classmethod
    def remote(cls, client: NodeClient, *, clock: Clock) -> Self:
        return cls(
            RemoteTransferLedger(client, clock=clock),
            ChannelRemoteGateway(client, clock=clock),
            WalletRemoteGateway(client, clock=clock),
        )

    def confirmed(self, message_id: bytes) -> bool:
        """Whether a milestone references the message (a twin entry, a payment)."""
        metadata = self.transfers.metadata(message_id)
        return metadata is not None and metadata.milestone_index is not None
