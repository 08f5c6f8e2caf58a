"""Everything a wallet refuses, as one exception family.

Messages are written for the person at the terminal: they say what happened
and what to do, and never contain a password, a recovery phrase, a seed or a
key. Each error keeps the data a program needs as attributes::

    WalletError
    ├── WalletNotFound          no wallet file at the path
    ├── WalletExists            a wallet file is already there (never overwritten)
    ├── WalletUnreadable        the file exists but cannot be read (permissions, a directory)
    ├── CorruptWallet           the file is damaged or not a wallet file
    ├── WrongPassword           the password does not open the wallet
    ├── WeakPassword            a new wallet's password is too short
    ├── InvalidRecoveryPhrase   the phrase is not a valid 24-word phrase
    ├── UnknownAccount          no account of that name
    ├── UnknownAddress          the account has no such address (no key of it)
    ├── AccountExists           an account of that name exists already
    ├── InvalidAccountName      not a usable account name
    ├── InvalidRecipient        the recipient is not a valid plz1… address
    ├── InvalidAmount           zero, negative, too large, or too many outputs
    ├── InsufficientBalance     the account cannot cover the payment now
    └── TransferConflicted      a transfer was confirmed as conflicting and moved nothing

What the ledger itself could not do (no answer, busy, refused, not confirmed in
time) comes from the wallet's ledger port as
:class:`~plaza.ledger.errors.LedgerAccessError`, the same family the channels and
the market see; :mod:`plaza.wallet` re-exports its leaves under their names.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AccountExists",
    "CorruptWallet",
    "InsufficientBalance",
    "InvalidAccountName",
    "InvalidAmount",
    "InvalidRecipient",
    "InvalidRecoveryPhrase",
    "TransferConflicted",
    "UnknownAccount",
    "UnknownAddress",
    "WalletError",
    "WalletExists",
    "WalletNotFound",
    "WalletUnreadable",
    "WeakPassword",
    "WrongPassword",
]


class WalletError(Exception):
    """Base of every error the wallet raises on purpose."""


class WalletNotFound(WalletError):
    def __init__(self, path: Path) -> None:
        super().__init__(f"no wallet at {path}; create one with `plaza wallet create`")
        self.path = path


class WalletExists(WalletError):
    def __init__(self, path: Path) -> None:
        super().__init__(f"a wallet already exists at {path}; it is never overwritten")
        self.path = path


class WalletUnreadable(WalletError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"cannot read the wallet at {path}: {reason}")
        self.path = path
        self.reason = reason


class CorruptWallet(WalletError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"the wallet file {path} is damaged or not a wallet: {reason}")
        self.path = path
        self.reason = reason


class WrongPassword(WalletError):
    """The password does not open the file.

    Deliberately one error whether the password is wrong or the encrypted part
    was altered on purpose (accidental damage is caught by the file's checksum
    first): telling them apart would help an attacker, not the owner.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(f"wrong password for the wallet at {path}")
        self.path = path


class WeakPassword(WalletError):
    def __init__(self, minimum: int) -> None:
        super().__init__(f"a wallet password needs at least {minimum} characters")
        self.minimum = minimum


class InvalidRecoveryPhrase(WalletError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid recovery phrase: {reason}")
        self.reason = reason


class UnknownAccount(WalletError):
    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        super().__init__(f"no account named {name!r}; accounts: {', '.join(known)}")
        self.name = name
        self.known = known


class UnknownAddress(WalletError):
    def __init__(self, address: str, account: str) -> None:
        super().__init__(f"account {account!r} has no address {address}")
        self.address = address
        self.account = account


class AccountExists(WalletError):
    def __init__(self, name: str) -> None:
        super().__init__(f"an account named {name!r} exists already")
        self.name = name


class InvalidAccountName(WalletError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid account name: {reason}")
        self.reason = reason


class InvalidRecipient(WalletError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"not a valid recipient address ({reason}); addresses look like plz1…")
        self.reason = reason


class InvalidAmount(WalletError):
    def __init__(self, amount: int, reason: str) -> None:
        super().__init__(f"invalid amount {amount}: {reason}")
        self.amount = amount
        self.reason = reason


class InsufficientBalance(WalletError):
    """The account cannot pay ``needed`` now.

    ``available`` is the confirmed balance less this wallet's transfers still in
    flight; ``address`` is the account's address with the most available, or
    ``None`` when the account has no address with anything available.
    """

    def __init__(self, address: str | None, needed: int, available: int, *, account: str) -> None:
        super().__init__(
            f"insufficient balance in account {account!r}: {needed} needed, {available} "
            "available (confirmed balance less transfers in flight)"
        )
        self.address = address
        self.needed = needed
        self.available = available
        self.account = account


class TransferConflicted(WalletError):
    """Confirmed, but the ledger applied nothing (``conflict`` names why)."""

    def __init__(self, message_id: bytes, conflict: str) -> None:
        super().__init__(f"transfer {message_id.hex()} was confirmed as conflicting: {conflict}")
        self.message_id = message_id
        self.conflict = conflict
