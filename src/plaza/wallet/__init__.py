"""Wallets: seeds, accounts, addresses, balances and transfers, for people and device agents.

::

    from plaza.adapters.ledger.remote import RemoteLedger
    from plaza.clients.node import NodeClient
    from plaza.wallet import Wallet

    with NodeClient("http://127.0.0.1:8650") as node:
        gateway = RemoteLedger(node, clock=clock)
        wallet = Wallet.open(".plaza/wallet.json", password, gateway=gateway, clock=clock)
        wallet.send("plz1…", 250_000, wait=True)

An agent that embeds a node uses :class:`~plaza.adapters.ledger.local.LocalLedger`
over its :class:`~plaza.node.NodeRuntime` instead. The wallet's own refusals form
one family under :class:`WalletError` (see :mod:`plaza.wallet.errors`); what the
ledger could not do is a :class:`~plaza.ledger.errors.LedgerAccessError`, whose
leaves this face re-exports.
"""

from plaza.ledger.errors import (
    ConfirmationTimeout,
    LedgerAccessError,
    NodeBusy,
    NodeUnreachable,
    NoFaucet,
    RateLimited,
    RequestRefused,
)
from plaza.wallet.errors import (
    AccountExists,
    CorruptWallet,
    InsufficientBalance,
    InvalidAccountName,
    InvalidAmount,
    InvalidRecipient,
    InvalidRecoveryPhrase,
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
from plaza.wallet.keystore import MIN_PASSWORD_LENGTH, KdfParams, Keystore
from plaza.wallet.model import (
    DEFAULT_ACCOUNT,
    Account,
    AccountBalance,
    AddressBalance,
    ConfirmedBalance,
    FaucetGrant,
    HistoryLine,
    Movement,
    Payment,
    RecoveryPhrase,
    SentTransfer,
    WalletAddress,
)
from plaza.wallet.ports import WalletLedger
from plaza.wallet.recovery import discover_accounts
from plaza.wallet.service import Wallet

__all__ = [
    "DEFAULT_ACCOUNT",
    "MIN_PASSWORD_LENGTH",
    "Account",
    "AccountBalance",
    "AccountExists",
    "AddressBalance",
    "ConfirmationTimeout",
    "ConfirmedBalance",
    "CorruptWallet",
    "FaucetGrant",
    "HistoryLine",
    "InsufficientBalance",
    "InvalidAccountName",
    "InvalidAmount",
    "InvalidRecipient",
    "InvalidRecoveryPhrase",
    "KdfParams",
    "Keystore",
    "LedgerAccessError",
    "Movement",
    "NoFaucet",
    "NodeBusy",
    "NodeUnreachable",
    "Payment",
    "RateLimited",
    "RecoveryPhrase",
    "RequestRefused",
    "SentTransfer",
    "TransferConflicted",
    "UnknownAccount",
    "UnknownAddress",
    "Wallet",
    "WalletAddress",
    "WalletError",
    "WalletExists",
    "WalletLedger",
    "WalletNotFound",
    "WalletUnreadable",
    "WeakPassword",
    "WrongPassword",
    "discover_accounts",
]
