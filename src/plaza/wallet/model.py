"""The wallet's values: accounts, addresses, balances, payments and history.

A wallet is one :class:`~plaza.crypto.Seed` and a list of named accounts. Account
``n`` address ``i`` is the identity derived at ``(n, i)`` (see
:mod:`plaza.crypto.identity`), so the seed alone, written down as its 24-word
recovery phrase, recovers every key; names and address counts are conveniences
kept in the encrypted wallet file.

Money is integer base units throughout. Values holding secrets
(:class:`WalletContents`, :class:`RecoveryPhrase`) never show them in ``repr``
or ``str``.
"""

from __future__ import annotations

from dataclasses import dataclass

from plaza.crypto import Address, Seed
from plaza.ledger.model import ConfirmationState, MessageMetadata, Output
from plaza.ledger.ports import ConfirmedBalance, FaucetGrant, Movement

__all__ = [
    "DEFAULT_ACCOUNT",
    "MAX_ACCOUNT_NAME",
    "Account",
    "AccountBalance",
    "AddressBalance",
    "ConfirmedBalance",
    "FaucetGrant",
    "HistoryLine",
    "Movement",
    "Payment",
    "RecoveryPhrase",
    "SentTransfer",
    "WalletAddress",
    "WalletContents",
]

DEFAULT_ACCOUNT = "main"
MAX_ACCOUNT_NAME = 32
_INDEX_LIMIT = 2**32  # derivation paths are two u32 fields


@dataclass(frozen=True, slots=True)
class Account:
    """A named account: derivation account ``index``, addresses ``0 .. address_count - 1``."""

    name: str
    index: int
    address_count: int = 1

    def __post_init__(self) -> None:
        if not 1 <= len(self.name) <= MAX_ACCOUNT_NAME or not self.name.isprintable():
            raise ValueError(f"an account name has 1 to {MAX_ACCOUNT_NAME} printable characters")
        if self.name != self.name.strip():
            raise ValueError("an account name has no leading or trailing spaces")
        if not 0 <= self.index < _INDEX_LIMIT:
            raise ValueError(f"account index {self.index} out of range")
        if not 1 <= self.address_count <= _INDEX_LIMIT:
            raise ValueError(f"address count {self.address_count} out of range")


@dataclass(frozen=True, slots=True)
class WalletAddress:
    """One of the wallet's addresses and where it derives from."""

    account: str
    index: int
    address: Address

    def __str__(self) -> str:
        return str(self.address)


class WalletContents:
    """What the wallet file encrypts: the seed and the accounts. Immutable."""

    __slots__ = ("_accounts", "_seed")

    def __init__(self, seed: Seed, accounts: tuple[Account, ...]) -> None:
        if not accounts:
            raise ValueError("a wallet has at least one account")
        names = [account.name for account in accounts]
        indexes = [account.index for account in accounts]
        if len(set(names)) != len(names) or len(set(indexes)) != len(indexes):
            raise ValueError("account names and indexes are unique")
        self._seed = seed
        self._accounts = accounts

    @classmethod
    def fresh(cls, seed: Seed) -> WalletContents:
        """A new wallet's contents: one account, one address."""
        return cls(seed, (Account(DEFAULT_ACCOUNT, 0),))

    @property
    def seed(self) -> Seed:
        return self._seed

    @property
    def accounts(self) -> tuple[Account, ...]:
        return self._accounts

    def replace_account(self, account: Account) -> WalletContents:
        """These contents with ``account`` updated (by name) or appended."""
        if any(a.name == account.name for a in self._accounts):
            accounts = tuple(account if a.name == account.name else a for a in self._accounts)
        else:
            accounts = (*self._accounts, account)
        return WalletContents(self._seed, accounts)

    def __repr__(self) -> str:
        names = ", ".join(account.name for account in self._accounts)
        return f"WalletContents(seed=<secret>, accounts=[{names}])"


class RecoveryPhrase:
    """The 24 words that recover a wallet, shown once: ``reveal()`` is the only way out."""

    __slots__ = ("_words",)

    def __init__(self, words: str) -> None:
        self._words = words

    def reveal(self) -> str:
        """The words, space-separated. Named so that showing them is never an accident."""
        return self._words

    def __repr__(self) -> str:
        return "RecoveryPhrase(<24 secret words>)"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class AddressBalance:
    """An address's confirmed balance, and what this wallet has in flight from it."""

    address: WalletAddress
    confirmed: int
    in_flight: int
    milestone_index: int

    @property
    def available(self) -> int:
        """What the address can still pay now without risking a conflict."""
        return max(0, self.confirmed - self.in_flight)


@dataclass(frozen=True, slots=True)
class AccountBalance:
    account: str
    addresses: tuple[AddressBalance, ...]

    @property
    def confirmed(self) -> int:
        return sum(entry.confirmed for entry in self.addresses)

    @property
    def in_flight(self) -> int:
        return sum(entry.in_flight for entry in self.addresses)

    @property
    def available(self) -> int:
        return sum(entry.available for entry in self.addresses)


@dataclass(frozen=True, slots=True)
class SentTransfer:
    """A transfer the wallet attached; ``metadata`` once it has waited for confirmation."""

    message_id: bytes
    payer: Address
    outputs: tuple[Output, ...]
    issued_at_ms: int
    metadata: MessageMetadata | None = None

    @property
    def total(self) -> int:
        return sum(output.amount for output in self.outputs)

    @property
    def state(self) -> ConfirmationState:
        return ConfirmationState.PENDING if self.metadata is None else self.metadata.state


@dataclass(frozen=True, slots=True)
class Payment:
    """What one ``send`` did: usually one transfer, several when no single address covers it."""

    transfers: tuple[SentTransfer, ...]

    @property
    def total(self) -> int:
        return sum(transfer.total for transfer in self.transfers)

    @property
    def message_ids(self) -> tuple[bytes, ...]:
        return tuple(transfer.message_id for transfer in self.transfers)

    @property
    def confirmed(self) -> bool:
        return all(t.state is ConfirmationState.CONFIRMED for t in self.transfers)


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """A :class:`Movement` of one of the wallet's addresses, with the account it belongs to."""

    account: str
    movement: Movement

    @property
    def state(self) -> ConfirmationState:
        return self.movement.state
