"""What a wallet needs from the ledger: the specification its gateways implement.

A wallet never talks HTTP or touches a tangle itself. It is handed a
:class:`LedgerGateway`: :class:`~plaza.wallet.gateways.RemoteGateway` over a
node's HTTP API for people and remote agents, or
:class:`~plaza.wallet.gateways.LocalGateway` over an in-process
:class:`~plaza.node.NodeRuntime` for agents that embed a node (and for tests).

Gateways raise only :class:`~plaza.wallet.errors.GatewayError` subclasses for
what goes wrong on the ledger's side, so the wallet and the CLI handle one
family whichever gateway is in use.
"""

from __future__ import annotations

from typing import Protocol

from plaza.crypto import Address, SigningKey
from plaza.ledger.model import MessageMetadata, TransferPayload
from plaza.wallet.model import Attached, ConfirmedBalance, FaucetGrant, Movement

__all__ = ["LedgerGateway"]


class LedgerGateway(Protocol):
    """A ledger as a wallet sees it."""

    def submit_transfer(
        self, signer: SigningKey, payload: TransferPayload, *, not_before_ms: int
    ) -> Attached:
        """Attach ``payload`` signed by ``signer`` on current tips, with proof of work.

        The payer is ``signer``'s address. The issue time is read once the
        parents are chosen, so that no parent was issued after it, and is no
        earlier than ``not_before_ms``. When this returns the node has stored
        the transfer: its history and metadata already show it as pending.
        """
        ...

    def balance(self, address: Address) -> ConfirmedBalance:
        """The confirmed balance of ``address`` and the milestone index it was read at."""
        ...

    def metadata(self, message_id: bytes) -> MessageMetadata | None:
        """What the ledger knows of a message's confirmation; ``None`` if it has no such message."""
        ...

    def history(self, address: Address, *, limit: int) -> list[Movement]:
        """The latest ``limit`` transfers paying from or to ``address``, newest first."""
        ...

    def wait_for_confirmation(self, message_id: bytes, *, timeout_s: float) -> MessageMetadata:
        """Block until a milestone confirms the message (applied or conflicting).

        Raises :class:`~plaza.wallet.errors.ConfirmationTimeout` at the deadline.
        """
        ...

    def request_faucet(self, address: Address) -> FaucetGrant:
        """Ask the network's faucet to fund ``address``; the grant is pending when returned."""
        ...
