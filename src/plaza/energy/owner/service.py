"""The user module's use cases: owners, their wallets, their devices and what the devices report.

An owner signs up with a name and gets an API key (shown once, kept hashed) and a wallet
(one key per owner, derived from the module's wallet secret). Onboarding a device posts
the seed's ``/init`` to it and stores the device only once it answered with its public
key and wallet address: the device, not the owner, holds its keys. Pausing, continuing,
updating and deleting push the new configuration the same way; a device that is down or
refuses leaves the record as it was. The marketplace is told each device's new status
(``/asset_status``) and may ask whether an asset was onboarded (``/onboarded``).

Devices write to their owner in letters (``docs/energy.md``): ``/fund`` moves coins from
the owner's allowance (:mod:`~plaza.energy.owner.allowances`) or else wallet to the
device's, once per (device, ``reference``), so a letter retried
after a lost reply is answered with the transfer already made, and only as the owner's
rules allow (:mod:`~plaza.energy.owner.funding`); ``/notify_event`` files a
transaction state for the owner's history. All owners' letters are sealed to this
module's one key; the letter's audience must be the id of the owner of the sending device,
and its signature the key the device answered ``/init`` with.

This module is pure: storage, keys, the ledger and the link to devices are ports
(:mod:`plaza.energy.owner.ports`); letters are opened by :mod:`~plaza.energy.owner.letters`,
and what is said to devices (``/init``) is :mod:`~plaza.energy.owner.devices`'s.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from plaza.crypto import Address, Identity, SigningKey
from plaza.energy.envelope import ModuleKey
from plaza.energy.errors import (
    EnergyError,
    InvalidMessage,
    NotAuthenticated,
    UnknownRecord,
)
from plaza.energy.ledger import LedgerAccess
from plaza.energy.link import LetterSender
from plaza.energy.owner.allowances import AllowanceDesk
from plaza.energy.owner.devices import DeviceManager, KeyedLocks
from plaza.energy.owner.funding import DeviceFunder, FundingRules
from plaza.energy.owner.history import TransactionQuery, transactions_page, twin_report
from plaza.energy.owner.images import DeviceImages
from plaza.energy.owner.letters import DeviceLetters
from plaza.energy.owner.marketplace import MarketplaceTalk
from plaza.energy.owner.ports import Clock, OwnerKeys, OwnerStore
from plaza.energy.owner.records import Device, DeviceSettings, NewOwner, Owner, TransactionPage
from plaza.energy.owner.transfers import TransferState, WalletTransfer, check_address, check_amount
from plaza.energy.owner.wallets import WalletMoves
from plaza.energy.peers import Peer
from plaza.market.auth import MemoryNonceStore, NonceStore
from plaza.market.auth.outbox import Link

__all__ = ["OwnerModule"]

_MAX_NAME = 100
_HISTORY_SHOWN = 20


class OwnerModule:
    """Everything the user module does, for its HTTP API and for the demo alike."""

    def __init__(
        self,
        *,
        store: OwnerStore,
        keys: OwnerKeys,
        identity: Identity,
        ledger: LedgerAccess,
        link: Link,
        outbox: LetterSender,
        clock: Clock,
        marketplace: Peer,
        public_url: str,
        nonces: NonceStore | None = None,
    ) -> None:
        self._store = store
        self._keys = keys
        self._ledger = ledger
        self._clock = clock
        self._moves = WalletMoves(ledger, clock=clock)
        self._locks = KeyedLocks()  # owners' wallets here, devices' UUIDs in _devices
        self.key = ModuleKey.of(identity)
        nonces = nonces or MemoryNonceStore()
        self._letters = DeviceLetters(store=store, identity=identity, clock=clock, nonces=nonces)
        self._devices, self._marketplace = self._peers(
            identity, link, outbox, nonces, marketplace=marketplace, url=public_url
        )
        #: Devices' pictures (the seed's "Device image"), each for its owner only.
        self.images = DeviceImages(store)
        #: What people let the module spend for them (granted, read, revoked from the web).
        self.allowances, self._funder = self._funding()

    def _peers(
        self,
        identity: Identity,
        link: Link,
        outbox: LetterSender,
        nonces: NonceStore,
        *,
        marketplace: Peer,
        url: str,
    ) -> tuple[DeviceManager, MarketplaceTalk]:
        """Who this module talks to: its devices (``/init``, telling them it listens at
        ``url``) and the marketplace (letters and questions)."""
        devices = DeviceManager(
            store=self._store,
            link=link,
            clock=self._clock,
            locks=self._locks,
            marketplace=marketplace,
            owner_url=url,
            owner_key=self.key,
        )
        talk = MarketplaceTalk(
            store=self._store,
            identity=identity,
            link=link,
            outbox=outbox,
            clock=self._clock,
            nonces=nonces,
            marketplace=marketplace,
            onboarding=devices.onboarding,
        )
        return devices, talk

    def _funding(self) -> tuple[AllowanceDesk, DeviceFunder]:
        """What moves coins to devices besides their owners' hands: the allowances people
        grant, and ``/fund`` under the owners' rules."""
        allowances = AllowanceDesk(
            store=self._store,
            keys=self._keys,
            moves=self._moves,
            locks=self._locks,
            clock=self._clock,
        )
        rules = FundingRules(
            store=self._store, moves=self._moves, marketplace=self._marketplace, clock=self._clock
        )
        funder = DeviceFunder(
            store=self._store,
            moves=self._moves,
            keys=self._keys,
            locks=self._locks,
            rules=rules,
            allowances=allowances,
        )
        return allowances, funder

    # -- owners and their wallets ------------------------------------------------------------

    def create_owner(self, name: object) -> NewOwner:
        """A new owner and its API key, which is shown here once and never again."""
        with self._logged("owner.create", "-") as notes:
            if not isinstance(name, str) or not name.strip() or len(name) > _MAX_NAME:
                raise InvalidMessage(f"name must be 1 to {_MAX_NAME} characters")
            owner_id = "o" + secrets.token_hex(10)
            secret = secrets.token_hex(32)
            owner = self._store.add_owner(
                owner_id, name.strip(), self._keys.hash_api_secret(secret), self._clock.now_ms()
            )
            notes.append(owner.id)
            return NewOwner(owner, f"{owner.id}.{secret}")

    def authenticate(self, api_key: str) -> str:
        """The id of the owner whose API key this is; :class:`NotAuthenticated` otherwise."""
        owner_id, _, secret = api_key.partition(".")
        owner = self._store.owner(owner_id) if secret else None
        if owner is None or not owner.check_key(self._keys.hash_api_secret(secret)):
            raise NotAuthenticated("the API key is not valid")
        return owner.id

    def owner_wallet(self, owner_id: str) -> dict[str, Any]:
        """The owner, its wallet's address, confirmed balance, what it can spend, its moves."""
        owner = self._owner(owner_id)
        address = self._address(owner)
        transfers = self._store.transfers_of(owner.id, limit=_HISTORY_SHOWN)
        return {
            "ownerId": owner.id,
            "name": owner.name,
            "walletAddress": str(address),
            "balance": self._moves.balance(address),
            "available": self._moves.available(self._wallet_key(owner)),
            "transfers": [transfer.to_json() for transfer in transfers],
        }

    def add_funds(self, owner_id: str) -> WalletTransfer:
        """Devnet "Add funds": the node's faucet pays the owner's wallet (pending until a
        milestone confirms it)."""
        with self._logged("owner.faucet", owner_id) as notes:
            owner = self._owner(owner_id)
            transfer = self._moves.faucet(owner.id, self._address(owner))
            self._store.add_transfer(transfer)
            notes.append(f"{transfer.amount} in {transfer.message_id}")
            return transfer

    def withdraw(self, owner_id: str, address: object, amount: object) -> WalletTransfer:
        """Send ``amount`` from the owner's wallet to ``address`` (back to an exchange)."""
        with self._logged("owner.withdraw", owner_id) as notes:
            owner = self._owner(owner_id)
            payee = check_address(address)
            value = check_amount(amount)
            with self._locks.hold(owner.id):
                transfer = self._moves.pay(
                    owner.id, self._wallet_key(owner), payee, value, kind="withdraw"
                )
                self._store.add_transfer(transfer)
            notes.append(f"{value} to {payee} in {transfer.message_id}")
            return transfer

    # -- devices -----------------------------------------------------------------------------

    def add_device(self, owner_id: str, form: Mapping[str, Any]) -> Device:
        """Onboard a device: configure it with ``/init``, store it with the keys it answered."""
        with self._logged("device.add", owner_id) as notes:
            owner = self._owner(owner_id)
            device = self._devices.onboard(owner, DeviceSettings.from_form(form))
            notes.append(f"{device.id} at {device.settings.url}")
            return device

    def update_device(self, owner_id: str, device_id: str, changes: Mapping[str, Any]) -> Device:
        """New settings, pushed to the device first: kept only if it accepted them."""
        with self._logged("device.update", device_id):
            device = self._device(owner_id, device_id)
            return self._told(device, device.settings.changed(changes))

    def pause_device(self, owner_id: str, device_id: str) -> Device:
        """The seed's "Pause operation": the device stops trading but keeps its records."""
        with self._logged("device.pause", device_id):
            device = self._device(owner_id, device_id)
            return self._told(device, replace(device.settings, running=False))

    def continue_device(self, owner_id: str, device_id: str) -> Device:
        """The seed's "Continue operation"."""
        with self._logged("device.continue", device_id):
            device = self._device(owner_id, device_id)
            return self._told(device, replace(device.settings, running=True))

    def delete_device(self, owner_id: str, device_id: str, *, force: bool = False) -> None:
        """Tell the device to stop, then forget it and its events. A device that cannot be
        told is kept, unless ``force`` (it is gone for good)."""
        with self._logged("device.delete", device_id) as notes:
            device = self._device(owner_id, device_id)
            unconsented = self._devices.remove(device, force=force)
            self._marketplace.tell_status(device, "deleted", self._devices.next_update(device))
            if unconsented is not None:
                notes.append(f"removed without the device's consent: {unconsented}")

    def devices(self, owner_id: str) -> list[dict[str, Any]]:
        """The owner's devices with their wallet balances (None: the ledger did not answer)."""
        owner = self._owner(owner_id)
        return [
            {**device.to_json(), "balance": self._moves.balance_or_none(device.wallet_address)}
            for device in self._store.devices_of(owner.id)
        ]

    def device_overview(self, owner_id: str, device_id: str) -> dict[str, Any]:
        """The device, its balance and its aggregates (energy, transactions, average price)."""
        device = self._device(owner_id, device_id)
        return {
            **device.to_json(),
            "balance": self._moves.balance_or_none(device.wallet_address),
            "stats": self._store.device_stats(device.id).to_json(),
        }

    def device_transactions(
        self,
        owner_id: str,
        device_id: str,
        *,
        status: str | None = None,
        search: str | None = None,
        page: int = 1,
        per_page: int = 10,
    ) -> TransactionPage:
        """The seed's transactions tab: filtered by latest status and by a piece of the
        transaction id, newest first, each with every state the device reported."""
        device = self._device(owner_id, device_id)
        query = TransactionQuery(status, search or None, page, per_page)
        return transactions_page(self._store, device.id, query)

    def transaction_twin(
        self, owner_id: str, device_id: str, transaction_id: str
    ) -> dict[str, Any]:
        """The transaction's digital twin read from the ledger, and whether each state the
        device reported is on it (the seed's "verify the event against the Tangle")."""
        device = self._device(owner_id, device_id)
        events = self._store.events_of(device.id, transaction_id)
        return twin_report(self._ledger, device, transaction_id, events)

    def fund_device(self, owner_id: str, device_id: str, amount: object) -> WalletTransfer:
        """Manual funding: move ``amount`` from the owner's wallet to the device's."""
        with self._logged("device.fund", device_id) as notes:
            device = self._device(owner_id, device_id)
            owner = self._owner(device.owner_id)
            transfer = self._funder.fund(owner, device, check_amount(amount))
            notes.append(f"{transfer.amount} in {transfer.message_id}")
            return transfer

    # -- letters from devices ----------------------------------------------------------------

    def receive_fund(self, document: bytes) -> dict[str, Any]:
        """``/fund``: the device asks its owner for coins; the reply names the transfer.

        Paid once per (device, ``reference``): a letter with a reference already paid
        gets that transfer back, whatever amount it asks for now, unless the ledger
        decided the transfer moved nothing (conflicting or expired), then it is paid anew.
        """
        with self._logged("letter.fund", "-") as notes:
            letter, device = self._letters.open(document)
            amount = self._letters.funding_amount(letter, device)
            reference = self._letters.funding_reference(letter)
            owner = self._owner(device.owner_id)
            transfer, again = self._funder.fund_once(owner, device, amount, reference)
            notes.append(
                f"{device.id}: {transfer.amount} in {transfer.message_id}"
                f" for {reference}{' (again)' if again else ''}"
            )
            return {"messageId": transfer.message_id, "amount": transfer.amount}

    def receive_onboarded(self, document: bytes) -> dict[str, Any]:
        """``/onboarded``: the marketplace asks what this module knows of an asset."""
        with self._logged("letter.onboarded", "-"):
            return self._marketplace.answer_onboarded(document)

    def receive_event(self, document: bytes) -> None:
        """``/notify_event``: file a state of one of the device's transactions, in order."""
        with self._logged("letter.notify_event", "-") as notes:
            event = self._letters.event(*self._letters.open(document))
            filed = self._store.add_event(event)
            again = "" if filed else " (again)"
            notes.append(
                f"{event.device_id}/{event.transaction_id}: {event.transaction.status}{again}"
            )

    # -- the periodic work -------------------------------------------------------------------

    def cycle(self) -> int:
        """Settle the owners' pending transfers the ledger has decided; how many were."""
        settled = 0
        for transfer in self._store.pending_transfers():
            state = self._moves.state(transfer)
            if state is TransferState.PENDING:
                continue
            self._store.settle_transfer(transfer.message_id, state)
            self._store.log(
                self._clock.now_ms(),
                "transfer.settled",
                transfer.owner_id,
                "ok",
                f"{transfer.kind} {transfer.message_id}: {state}",
            )
            settled += 1
        return settled

    # -- helpers -----------------------------------------------------------------------------

    def _owner(self, owner_id: str) -> Owner:
        owner = self._store.owner(owner_id)
        if owner is None:
            raise UnknownRecord(f"no owner {owner_id!r}")
        return owner

    def _device(self, owner_id: str, device_id: str) -> Device:
        """The owner's device; another owner's is as unknown as one that does not exist."""
        device = self._store.device(device_id)
        if device is None or device.owner_id != owner_id:
            raise UnknownRecord(f"no device {device_id!r} among your devices")
        return device

    def _wallet_key(self, owner: Owner) -> SigningKey:
        return self._keys.signing_key(owner.account)

    def _address(self, owner: Owner) -> Address:
        return self._wallet_key(owner).public_key.address

    def _told(self, device: Device, settings: DeviceSettings) -> Device:
        """Reconfigure the device, then tell the marketplace whether it runs."""
        updated = self._devices.reconfigure(device, settings)
        self._marketplace.tell_status(updated, updated.settings.status, updated.updated_ms)
        return updated

    @contextmanager
    def _logged(self, operation: str, subject: str) -> Iterator[list[str]]:
        """Log the operation's outcome, refusals included (never a secret: messages name
        ids, amounts and reasons only)."""
        notes: list[str] = []
        try:
            yield notes
        except EnergyError as error:
            self._store.log(
                self._clock.now_ms(), operation, subject, "error", f"{error.code}: {error.message}"
            )
            raise
        self._store.log(self._clock.now_ms(), operation, subject, "ok", "; ".join(notes))
