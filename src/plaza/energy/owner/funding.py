"""The owner's rules for ``/fund``: which device, how much, at most how much a day.

A device's letter asks its owner for coins; the owner pays only

1. a **consumer** device (a provider is paid by its customers, never by its owner);
2. within the device's **funding cap**: what ``/fund`` letters moved to it in the last
   24 hours plus this amount is at most ``fundingCap`` (its settings; the owner changes
   it with ``PATCH /api/devices/{id}``; :data:`~plaza.energy.owner.records.DEFAULT_FUNDING_CAP`
   unless set);
3. up to what its **unpaid contracts** still need: the values of the contracts the
   marketplace says wait for the device's payment (``/unpaid``), less what the device
   already holds for them: its confirmed balance and the owner's fundings on their way
   to it.

:class:`DeviceFunder` pays: by hand (the owner's ``fund_device``) or once per
``/fund`` reference under these rules, under the owner's lock, recorded with the
transfer it made.

The cheap local rules go first, so a refused letter costs no round trip. Every refusal is
:class:`~plaza.energy.errors.FundingRefused` with ``details["rule"]`` (``consumer_only``,
``funding_cap``, ``unpaid_contracts``, and the allowance's: ``allowance_revoked``,
``allowance_cap``) and moves nothing.

The coins come from the owner's active **allowance** once they granted one
(:mod:`~plaza.energy.owner.allowances`), from the owner's wallet otherwise.
"""

from __future__ import annotations

from plaza.crypto import Address
from plaza.energy.errors import FundingRefused
from plaza.energy.owner.allowances import AllowanceDesk
from plaza.energy.owner.devices import KeyedLocks
from plaza.energy.owner.marketplace import MarketplaceTalk
from plaza.energy.owner.ports import Clock, OwnerKeys, OwnerStore
from plaza.energy.owner.records import FUNDING_WINDOW_MS, Device, Owner
from plaza.energy.owner.transfers import TransferState, WalletTransfer
from plaza.energy.owner.wallets import WalletMoves

__all__ = ["DeviceFunder", "FundingRules"]


class FundingRules:
    """Whether a ``/fund`` letter may move ``amount`` to its device now."""

    def __init__(
        self, *, store: OwnerStore, moves: WalletMoves, marketplace: MarketplaceTalk, clock: Clock
    ) -> None:
        self._store = store
        self._moves = moves
        self._marketplace = marketplace
        self._clock = clock

    def check(self, device: Device, amount: int) -> None:
        """Refuse (:class:`FundingRefused`) unless every rule allows ``amount``; callers hold
        the owner's lock, so two letters never both count the same room."""
        if device.is_provider:
            raise FundingRefused(
                f"{device.id} is a provider: only a consumer device is funded by /fund",
                details={"rule": "consumer_only"},
            )
        cap = device.settings.funding_cap
        since = self._clock.now_ms() - FUNDING_WINDOW_MS
        funded = self._store.funded_by_letters(device.id, since_ms=since)
        if funded + amount > cap:
            raise FundingRefused(
                f"{device.id} was funded {funded} in the last 24 hours; {amount} more is over"
                f" its funding cap of {cap}",
                details={"rule": "funding_cap", "cap": str(cap), "funded": str(funded)},
            )
        room = self.room(device)
        if amount > room:
            raise FundingRefused(
                f"{device.id}'s unpaid contracts need {room} more, not {amount}",
                details={"rule": "unpaid_contracts", "room": str(room)},
            )

    def room(self, device: Device) -> int:
        """What the device's unpaid contracts still need from its owner."""
        owed = sum(contract.value for contract in self._marketplace.unpaid(device))
        held = self._moves.balance(Address.parse(device.wallet_address))
        on_the_way = sum(
            transfer.amount
            for transfer in self._store.pending_fundings(device.id)
            if self._moves.state(transfer) is TransferState.PENDING
        )
        return max(0, owed - held - on_the_way)


class DeviceFunder:
    """Pays a device from its owner's wallet, under the owner's lock, and records it."""

    def __init__(
        self,
        *,
        store: OwnerStore,
        moves: WalletMoves,
        keys: OwnerKeys,
        locks: KeyedLocks,
        rules: FundingRules,
        allowances: AllowanceDesk | None = None,
    ) -> None:
        self._store = store
        self._moves = moves
        self._keys = keys
        self._locks = locks
        self._rules = rules
        self._allowances = allowances

    def fund(self, owner: Owner, device: Device, amount: int) -> WalletTransfer:
        """The owner's own funding of its device: no ``/fund`` rule applies."""
        with self._locks.hold(owner.id):
            return self._pay(owner, device, amount, "")

    def fund_once(
        self, owner: Owner, device: Device, amount: int, reference: str
    ) -> tuple[WalletTransfer, bool]:
        """The funding for ``reference``: the one made before (True) if it may still move
        coins, else a new one (False) if the owner's rules allow it (:class:`FundingRules`).
        Under the owner's lock, so two letters never both pay the same need or room."""
        with self._locks.hold(owner.id):
            earlier = self._store.funding(device.id, reference)
            if earlier is not None:
                state = earlier.state
                if state is TransferState.PENDING:
                    state = self._moves.state(earlier)  # PENDING when the ledger cannot say
                if state in (TransferState.PENDING, TransferState.CONFIRMED):
                    return earlier, True
                self._store.settle_transfer(earlier.message_id, state)  # it moved nothing
            self._rules.check(device, amount)
            return self._pay(owner, device, amount, reference), False

    def _pay(self, owner: Owner, device: Device, amount: int, reference: str) -> WalletTransfer:
        """Pay the device and record it, from the owner's active allowance if they granted
        any (within its cap; never once revoked), else from the owner's wallet; callers
        hold the owner's lock."""
        source = None if self._allowances is None else self._allowances.source(owner, amount)
        key, allowance = source or (self._keys.signing_key(owner.account), "")
        transfer = self._moves.pay(
            owner.id,
            key,
            Address.parse(device.wallet_address),
            amount,
            kind="fund",
            device=device.id,
            reference=reference,
        ).from_allowance(allowance)
        self._store.add_transfer(transfer)
        return transfer
