"""What a wallet needs from the ledger: the roles of :mod:`plaza.ledger.ports` it uses.

A wallet never talks HTTP or touches a tangle itself. It is handed a
:class:`WalletLedger`: either ledger adapter of :mod:`plaza.adapters.ledger`
(over a node's HTTP API for people and remote agents, over an in-process
:class:`~plaza.node.NodeRuntime` for agents that embed a node, and for tests).
Both raise only :class:`~plaza.ledger.errors.LedgerAccessError` subclasses for
what goes wrong on the ledger's side, so the wallet and the CLI handle one
family whichever adapter is in use.
"""

from __future__ import annotations

from typing import Protocol

from plaza.ledger.ports import Composer, Faucet, LedgerReader, Submitter

__all__ = ["WalletLedger"]


class WalletLedger(LedgerReader, Composer, Submitter, Faucet, Protocol):
    """A ledger as a wallet sees it: read, compose, submit, and the devnet faucet."""
