"""Owners' wallets: one key per owner from one secret file, and the moves made with them.

The seed keeps a wallet seed per asset in the owner's database and sends it to the
device. Here the devices make their own keys; owners' keys are derived, one account
per owner, from a single seed the module draws once and keeps in its data
directory (``0600``, created exclusively); allowances' keys derive from a second seed
hashed from it (:mod:`~plaza.energy.owner.allowances`). Nothing derived from it ever
leaves the module: replies carry addresses and message ids only. The same seed keys the hash
of the owners' API keys (a pepper), so a copied database alone cannot check a key.

:class:`WalletMoves` is what the use cases do on the ledger with those keys:
balances, what a wallet can still spend, the devnet faucet, payments out, and
whether a transfer has been decided.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from plaza.crypto import Address, Identity, InvalidAddress, Seed, SigningKey, blake2b
from plaza.energy.errors import NotConfigured, PeerFailed, WrongState
from plaza.energy.keys import load_or_create_seed
from plaza.energy.ledger import LedgerAccess
from plaza.energy.owner.transfers import TransferState, WalletTransfer
from plaza.ledger.model import TRANSFER_TTL_MS, Conflict
from plaza.ledger.ports import Clock
from plaza.market.payments.service import FUNDING_TAG, DeviceAccount, KeyFunder, LedgerPayments
from plaza.market.settlement import PaymentFailed
from plaza.wallet import NoFaucet, RateLimited, WalletError

__all__ = ["WITHDRAWAL_TAG", "OwnerWallets", "WalletMoves"]

WITHDRAWAL_TAG = b"plaza-withdrawal"
_PEPPER_PERSON = b"plaza-owner-api"
_ALLOWANCE_PERSON = b"plaza-allowance"


class OwnerWallets:
    """Every owner's wallet key, from the seed in one file; ``repr`` shows none of it."""

    def __init__(self, seed: Seed) -> None:
        self._seed = seed
        self._pepper = blake2b(seed.to_bytes(), person=_PEPPER_PERSON)
        self._allowances = Seed(blake2b(seed.to_bytes(), person=_ALLOWANCE_PERSON))

    @classmethod
    def load_or_create(cls, path: Path) -> OwnerWallets:
        """The wallets whose seed is in ``path``, drawing it on first use."""
        return cls(load_or_create_seed(path))

    def signing_key(self, account: int) -> SigningKey:
        return Identity.from_seed(self._seed, account=account).signing

    def allowance_key(self, number: int) -> SigningKey:
        """An allowance's key: from a seed of its own under the module's, so no allowance
        shares a key with an owner's wallet."""
        return Identity.from_seed(self._allowances, account=number).signing

    def hash_api_secret(self, secret: str) -> bytes:
        return blake2b(secret.encode(), key=self._pepper, person=_PEPPER_PERSON)

    def __repr__(self) -> str:
        return "OwnerWallets(<hidden>)"


@contextmanager
def _ledger_errors(where: str) -> Iterator[None]:
    """The ledger's refusals as the module's errors: a faucet that is not there or asked
    too often is the caller's to wait for (409); anything else is the ledger failing (502)."""
    try:
        yield
    except NoFaucet:
        raise NotConfigured("this network has no faucet; fund the wallet by a transfer") from None
    except RateLimited as error:
        raise WrongState(f"the faucet was asked too often: {error}") from None
    except (WalletError, PaymentFailed) as error:
        raise PeerFailed("ledger", where, str(error), refused=False) from None


class WalletMoves:
    """The ledger side of owners' wallets."""

    def __init__(self, ledger: LedgerAccess, *, clock: Clock) -> None:
        self._ledger = ledger
        self._clock = clock

    def balance(self, address: Address) -> int:
        """The confirmed balance."""
        with _ledger_errors("balance"):
            return self._ledger.ledger.balance(address).amount

    def balance_or_none(self, address: str) -> int | None:
        """A device's confirmed balance for a listing, None if the ledger cannot say now."""
        try:
            return self.balance(Address.parse(address))
        except (PeerFailed, InvalidAddress):
            return None

    def available(self, key: SigningKey) -> int:
        """What the wallet can spend now: confirmed, less its payments still in flight."""
        account = DeviceAccount(key)
        with _ledger_errors("balance"):
            payments = LedgerPayments(self._ledger.ledger, [account])
            return payments.available(account.participant_id)

    def faucet(self, owner_id: str, address: Address) -> WalletTransfer:
        with _ledger_errors("faucet"):
            grant = self._ledger.ledger.request_faucet(address)
        return WalletTransfer(
            grant.message_id.hex(),
            owner_id,
            "faucet",
            str(address),
            grant.amount,
            "",
            self._clock.now_ms(),
        )

    def pay(
        self,
        owner_id: str,
        key: SigningKey,
        payee: Address,
        amount: int,
        *,
        kind: str,
        device: str = "",
        reference: str = "",
    ) -> WalletTransfer:
        """Pay ``amount`` to ``payee`` if the wallet can (callers hold the owner's lock, so
        two payments never both count the same coins)."""
        available = self.available(key)
        if amount > available:
            raise WrongState(
                f"the paying account (the owner's wallet or allowance) has {available} base"
                f" units available, {amount} are needed"
            )
        # a device's funding names the device; any other move (a withdrawal, an allowance's
        # return) names its kind, under the withdrawal tag
        funding = kind == "fund"
        funder = KeyFunder(key, self._ledger.ledger, tag=FUNDING_TAG if funding else WITHDRAWAL_TAG)
        with _ledger_errors(kind):
            (sent,) = funder.fund(payee, amount, reference=device if funding else kind)
        return WalletTransfer(
            sent.message_id.hex(),
            owner_id,
            kind,
            str(payee),
            amount,
            device,
            self._clock.now_ms(),
            reference=reference,
        )

    def state(self, transfer: WalletTransfer) -> TransferState:
        """Whether the ledger has decided ``transfer``: applied, conflicting, or expired."""
        try:
            with _ledger_errors("metadata"):
                metadata = self._ledger.ledger.metadata(bytes.fromhex(transfer.message_id))
                ledger_time = self._ledger.ledger.ledger_time_ms()
        except PeerFailed:
            return TransferState.PENDING  # asked again next cycle
        if metadata is not None and metadata.milestone_index is not None:
            applied = metadata.conflict in (Conflict.NONE, Conflict.REPLAYED)
            return TransferState.CONFIRMED if applied else TransferState.CONFLICTING
        if ledger_time - transfer.created_ms > TRANSFER_TTL_MS:
            return TransferState.EXPIRED
        return TransferState.PENDING
