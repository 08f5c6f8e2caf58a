"""The wallet's use cases: create, restore, open; accounts and addresses; balance,
send, history and the devnet faucet.

A :class:`Wallet` holds the decrypted seed of one wallet file and a
:class:`~plaza.wallet.ports.WalletLedger` (its gateway). It signs locally and
hands the gateway signed transfers only; the seed never leaves this object.

Sends from one wallet are serialised by a lock, and each one decides its payer
from confirmed balances less the transfers still in flight
(:mod:`plaza.wallet.spending`), so a wallet can attach many transfers per
second without any of them conflicting. Each transfer's issue time is strictly
later than the previous one's: two identical payments on the same tips would
otherwise have the same signed essence, and the ledger would treat the second
as a replay of the first.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from pathlib import Path

from plaza.crypto import Address, Identity, InvalidMnemonic, Seed, SigningKey
from plaza.ledger.errors import LedgerAccessError
from plaza.ledger.model import (
    Conflict,
    Output,
    TransferPayload,
)
from plaza.ledger.ports import Clock
from plaza.wallet.errors import (
    AccountExists,
    InvalidAccountName,
    InvalidRecoveryPhrase,
    TransferConflicted,
    UnknownAccount,
    UnknownAddress,
    WalletExists,
)
from plaza.wallet.keystore import FileKey, KdfParams, Keystore, check_password
from plaza.wallet.model import (
    DEFAULT_ACCOUNT,
    Account,
    AccountBalance,
    AddressBalance,
    FaucetGrant,
    HistoryLine,
    Payment,
    RecoveryPhrase,
    SentTransfer,
    WalletAddress,
    WalletContents,
)
from plaza.wallet.ports import WalletLedger
from plaza.wallet.recovery import discover_accounts
from plaza.wallet.spending import (
    InFlightTransfers,
    Outgoing,
    Recipients,
    check_outputs,
    plan_payment,
)

__all__ = ["Wallet"]

log = logging.getLogger(__name__)

#: Transfers from one address in flight before a send checks which have confirmed,
#: so memory stays bounded however long nothing forces a check.
_SETTLE_AFTER = 256
#: How far back the node's history is read for transfers in flight from an earlier session.
_ADOPT_LIMIT = 100


class Wallet:
    """An open wallet. Build it with :meth:`create`, :meth:`restore` or :meth:`open`."""

    def __init__(
        self,
        contents: WalletContents,
        keystore: Keystore,
        key: FileKey,
        gateway: WalletLedger,
        *,
        clock: Clock,
    ) -> None:
        self._contents = contents
        self._keystore = keystore
        self._key = key
        self._gateway = gateway
        self._clock = clock
        self._signers: dict[tuple[int, int], SigningKey] = {}
        self._in_flight = InFlightTransfers()
        self._adopted: set[bytes] = set()
        self._last_issued_ms = 0
        self._lock = threading.RLock()

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: Path | str,
        password: str,
        *,
        gateway: WalletLedger,
        clock: Clock,
        kdf: KdfParams = KdfParams.MODERATE,
    ) -> tuple[Wallet, RecoveryPhrase]:
        """A new wallet file with a fresh seed; its recovery phrase is returned this once."""
        check_password(password)
        seed = Seed.generate()
        keystore = Keystore(path)
        key = keystore.create(WalletContents.fresh(seed), password, kdf)
        wallet = cls(WalletContents.fresh(seed), keystore, key, gateway, clock=clock)
        return wallet, RecoveryPhrase(seed.to_mnemonic())

    @classmethod
    def restore(
        cls,
        path: Path | str,
        password: str,
        phrase: str,
        *,
        gateway: WalletLedger,
        clock: Clock,
        kdf: KdfParams = KdfParams.MODERATE,
        scan: bool = True,
    ) -> Wallet:
        """A new wallet file for the seed of ``phrase``; ``scan`` finds its used addresses."""
        check_password(password)
        try:
            seed = Seed.from_mnemonic(phrase)
        except InvalidMnemonic as error:
            raise InvalidRecoveryPhrase(str(error).removeprefix("invalid mnemonic: ")) from None
        keystore = Keystore(path)
        if keystore.exists():  # before scanning, which asks the ledger
            raise WalletExists(keystore.path)
        accounts = discover_accounts(seed, gateway) if scan else WalletContents.fresh(seed).accounts
        contents = WalletContents(seed, accounts)
        key = keystore.create(contents, password, kdf)
        return cls(contents, keystore, key, gateway, clock=clock)

    @classmethod
    def open(
        cls, path: Path | str, password: str, *, gateway: WalletLedger, clock: Clock
    ) -> Wallet:
        """Unlock an existing wallet file."""
        keystore = Keystore(path)
        contents, key = keystore.unlock(password)
        return cls(contents, keystore, key, gateway, clock=clock)

    @property
    def path(self) -> Path:
        return self._keystore.path

    # -- accounts and addresses ------------------------------------------------------------

    def accounts(self) -> tuple[Account, ...]:
        return self._contents.accounts

    def account(self, name: str = DEFAULT_ACCOUNT) -> Account:
        for account in self._contents.accounts:
            if account.name == name:
                return account
        raise UnknownAccount(name, tuple(a.name for a in self._contents.accounts))

    def add_account(self, name: str) -> Account:
        """A new named account with one address, saved to the wallet file."""
        with self._lock:
            if any(account.name == name for account in self._contents.accounts):
                raise AccountExists(name)
            index = max(account.index for account in self._contents.accounts) + 1
            try:
                account = Account(name, index)
            except ValueError as error:
                raise InvalidAccountName(str(error)) from None
            self._save(self._contents.replace_account(account))
            return account

    def addresses(self, account: str | None = DEFAULT_ACCOUNT) -> list[WalletAddress]:
        """The account's addresses in derivation order; ``None`` for every account's."""
        chosen = self._contents.accounts if account is None else (self.account(account),)
        return [self._address(a, index) for a in chosen for index in range(a.address_count)]

    def receive_address(
        self, account: str = DEFAULT_ACCOUNT, *, new: bool = False
    ) -> WalletAddress:
        """The account's newest address; with ``new``, a further one is derived and saved."""
        with self._lock:
            chosen = self.account(account)
            if new:
                chosen = replace(chosen, address_count=chosen.address_count + 1)
                self._save(self._contents.replace_account(chosen))
            return self._address(chosen, chosen.address_count - 1)

    def export_identity(self, account: str = DEFAULT_ACCOUNT, index: int = 0) -> Identity:
        """The keys of an address, for signing as it elsewhere (a marketplace identity whose
        id is this address). Named loudly: calling it exports secret keys."""
        chosen = self.account(account)
        if not 0 <= index < chosen.address_count:
            raise UnknownAddress(f"#{index}", chosen.name)
        return Identity.from_seed(self._contents.seed, account=chosen.index, index=index)

    # -- money -----------------------------------------------------------------------------

    def balance(self, account: str = DEFAULT_ACCOUNT) -> AccountBalance:
        """Confirmed balance, amount in flight and what is available, per address."""
        with self._lock:
            entries = self._address_balances(self.account(account), settle=True)
        return AccountBalance(account, tuple(entries))

    def send(
        self,
        to: Address | str,
        amount: int,
        *,
        account: str = DEFAULT_ACCOUNT,
        wait: bool = False,
        timeout_s: float = 30.0,
        tag: bytes = b"",
        data: bytes = b"",
        payer: Address | None = None,
    ) -> Payment:
        """Pay ``amount`` base units to ``to``; with ``wait``, until it is confirmed."""
        return self.send_many(
            {to: amount},
            account=account,
            wait=wait,
            timeout_s=timeout_s,
            tag=tag,
            data=data,
            payer=payer,
        )

    def send_many(
        self,
        payments: Recipients,
        *,
        account: str = DEFAULT_ACCOUNT,
        wait: bool = False,
        timeout_s: float = 30.0,
        tag: bytes = b"",
        data: bytes = b"",
        payer: Address | None = None,
    ) -> Payment:
        """Pay up to 32 recipients at once, usually in one transfer.

        Raises :class:`~plaza.wallet.errors.InsufficientBalance` before
        attaching anything when the account cannot cover it. If a payment
        split over several addresses fails part-way, the transfers already
        attached stay attached; the error's notes list them. ``payer`` makes
        one address pay alone, for a payee who checks who paid (a marketplace).
        """
        outputs = check_outputs(payments)
        sent: list[SentTransfer] = []
        with self._lock:
            source = self.account(account)
            try:
                for paying, part in self._plan(source, outputs, payer):
                    sent.append(self._attach(paying, part, tag, data))
            except LedgerAccessError as error:
                for transfer in sent:
                    error.add_note(f"already attached: {transfer.message_id.hex()}")
                raise
        payment = Payment(tuple(sent))
        return self.wait(payment, timeout_s=timeout_s) if wait else payment

    def wait(self, payment: Payment, *, timeout_s: float = 30.0) -> Payment:
        """The payment once every transfer is confirmed; :class:`TransferConflicted` if one
        was confirmed without being applied."""
        done: list[SentTransfer] = []
        for transfer in payment.transfers:
            metadata = self._gateway.wait_for_confirmation(transfer.message_id, timeout_s=timeout_s)
            if metadata.conflict is not Conflict.NONE:
                raise TransferConflicted(transfer.message_id, metadata.conflict.name.lower())
            done.append(replace(transfer, metadata=metadata))
        return Payment(tuple(done))

    def history(
        self, account: str | None = DEFAULT_ACCOUNT, *, limit: int = 50
    ) -> list[HistoryLine]:
        """The latest ``limit`` movements of the account's addresses (every account's with
        ``None``), newest first, each with its confirmation state."""
        lines = [
            HistoryLine(address.account, movement)
            for address in self.addresses(account)
            for movement in self._gateway.history(address.address, limit=limit)
        ]
        lines.sort(key=lambda line: (line.movement.issued_at_ms, line.movement.message_id))
        return lines[::-1][:limit]

    def request_faucet(
        self, account: str = DEFAULT_ACCOUNT, *, wait: bool = False, timeout_s: float = 30.0
    ) -> FaucetGrant:
        """Devnet: ask the faucet to fund the account's receive address."""
        address = self.receive_address(account)
        grant = self._gateway.request_faucet(address.address)
        log.info("faucet grant %s of %d to %s", grant.message_id.hex(), grant.amount, address)
        if not wait:
            return grant
        metadata = self._gateway.wait_for_confirmation(grant.message_id, timeout_s=timeout_s)
        return replace(grant, metadata=metadata)

    def statistics(self) -> dict[str, int]:
        with self._lock:
            return {
                "accounts": len(self._contents.accounts),
                "addresses": sum(a.address_count for a in self._contents.accounts),
                "in_flight": self._in_flight.count(),
            }

    # -- internals -------------------------------------------------------------------------

    def _save(self, contents: WalletContents) -> None:
        self._keystore.save(contents, self._key)
        self._contents = contents

    def _address(self, account: Account, index: int) -> WalletAddress:
        return WalletAddress(
            account.name, index, self._signer(account.index, index).public_key.address
        )

    def _signer(self, account_index: int, index: int) -> SigningKey:
        key = self._signers.get((account_index, index))
        if key is None:
            identity = Identity.from_seed(self._contents.seed, account=account_index, index=index)
            key = self._signers[(account_index, index)] = identity.signing
        return key

    def _address_balances(self, account: Account, *, settle: bool) -> list[AddressBalance]:
        entries: list[AddressBalance] = []
        for address in self.addresses(account.name):
            raw = address.address.raw
            self._adopt(address.address)
            confirmed = self._gateway.balance(address.address)
            if settle or self._in_flight.count(raw) > _SETTLE_AFTER:
                self._in_flight.settle(
                    raw, confirmed.milestone_index, self._gateway.metadata, self._clock.now_ms()
                )
            in_flight = self._in_flight.total(raw)
            entries.append(
                AddressBalance(address, confirmed.amount, in_flight, confirmed.milestone_index)
            )
        return entries

    def _adopt(self, address: Address) -> None:
        """Count transfers from ``address`` still unconfirmed on the ledger, once per session,
        so that an earlier process's sends are not spent again."""
        if address.raw in self._adopted:
            return
        self._in_flight.adopt(address.raw, self._gateway.history(address, limit=_ADOPT_LIMIT))
        self._adopted.add(address.raw)

    def _plan(
        self, source: Account, outputs: dict[bytes, int], payer: Address | None
    ) -> list[tuple[WalletAddress, dict[bytes, int]]]:
        """Payers for ``outputs`` (only ``payer`` if given); confirmations are checked only
        when the quick look falls short, so rapid sends cost one balance read per address."""
        if payer is not None and payer not in {a.address for a in self.addresses(source.name)}:
            raise UnknownAddress(str(payer), source.name)
        total = sum(outputs.values())
        balances = self._address_balances(source, settle=False)
        if max(entry.available for entry in balances) < total:
            balances = self._address_balances(source, settle=True)
        available = [
            (entry.address, entry.available)
            for entry in balances
            if payer is None or entry.address.address == payer
        ]
        return plan_payment(available, outputs, account=source.name)

    def _attach(
        self, payer: WalletAddress, part: dict[bytes, int], tag: bytes, data: bytes
    ) -> SentTransfer:
        account = self.account(payer.account)
        signer = self._signer(account.index, payer.index)
        outputs = tuple(Output(address, amount) for address, amount in sorted(part.items()))
        attached = self._gateway.compose(
            signer,
            TransferPayload(outputs, tag, data),
            not_before_ms=max(self._clock.now_ms(), self._last_issued_ms + 1),
        )
        self._gateway.submit(attached.raw)  # stored by the node: pending in its history now
        self._last_issued_ms = attached.issued_at_ms
        total = sum(part.values())
        self._in_flight.add(Outgoing(attached.id, payer.address.raw, total, attached.issued_at_ms))
        log.info("transfer %s attached: %d from %s", attached.id.hex(), total, payer)
        return SentTransfer(attached.id, payer.address, outputs, attached.issued_at_ms)

    def __repr__(self) -> str:
        names = ", ".join(account.name for account in self._contents.accounts)
        return f"Wallet(path='{self.path}', accounts=[{names}])"
