"""Wallets: seeds, accounts, addresses, balances and transfers, for people and device agents.

::

    from plaza.client import NodeClient
    from plaza.wallet import RemoteGateway, Wallet

    with NodeClient("http://127.0.0.1:8650") as node:
        gateway = RemoteGateway(node, clock=clock)
        wallet = Wallet.open(".plaza/wallet.json", password, gateway=gateway, clock=clock)
        wallet.send("plz1…", 250_000, wait=True)

An agent that embeds a node uses :class:`LocalGateway` over its
:class:`~plaza.node.NodeRuntime` instead. Errors form one family under
:class:`WalletError` (see :mod:`plaza.wallet.errors`).
"""

from plaza.wallet.errors import (
    AccountExists,
    ConfirmationTimeout,
    CorruptWallet,
    FaucetUnavailable,
    GatewayError,
    InsufficientBalance,
    InvalidAccountName,
    InvalidAmount,
    InvalidRecipient,
    InvalidRecoveryPhrase,
    NodeBusy,
    NodeUnreachable,
    RateLimited,
    RequestRefused,
    TransferConflicted,
    UnknownAccount,
    UnknownAddress,
    WalletError,
    WalletExists,
    WalletNotFound,
    WalletUnreadable,
    WeakPassword,
    WrongPassword,
)
from plaza.wallet.gateways import LocalGateway, RemoteGateway
from plaza.wallet.keystore import KdfParams, Keystore
from plaza.wallet.model import (
    DEFAULT_ACCOUNT,
    Account,
    AccountBalance,
    AddressBalance,
    Attached,
    ConfirmedBalance,
    FaucetGrant,
    HistoryLine,
    Movement,
    Payment,
    RecoveryPhrase,
    SentTransfer,
    WalletAddress,
)
from plaza.wallet.ports import LedgerGateway
from plaza.wallet.recovery import discover_accounts
from plaza.wallet.service import MIN_PASSWORD_LENGTH, Wallet

__all__ = [
    "DEFAULT_ACCOUNT",
    "MIN_PASSWORD_LENGTH",
    "Account",
    "AccountBalance",
    "AccountExists",
    "AddressBalance",
    "Attached",
    "ConfirmationTimeout",
    "ConfirmedBalance",
    "CorruptWallet",
    "FaucetGrant",
    "FaucetUnavailable",
    "GatewayError",
    "HistoryLine",
    "InsufficientBalance",
    "InvalidAccountName",
    "InvalidAmount",
    "InvalidRecipient",
    "InvalidRecoveryPhrase",
    "KdfParams",
    "Keystore",
    "LedgerGateway",
    "LocalGateway",
    "Movement",
    "NodeBusy",
    "NodeUnreachable",
    "Payment",
    "RateLimited",
    "RecoveryPhrase",
    "RemoteGateway",
    "RequestRefused",
    "SentTransfer",
    "TransferConflicted",
    "UnknownAccount",
    "UnknownAddress",
    "Wallet",
    "WalletAddress",
    "WalletError",
    "WalletExists",
    "WalletNotFound",
    "WalletUnreadable",
    "WeakPassword",
    "WrongPassword",
    "discover_accounts",
]
