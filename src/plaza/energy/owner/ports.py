"""What the user module's use cases need from the outside, one protocol per part.

Adapters: :class:`~plaza.energy.owner.store.SqliteOwnerStore` (the running module) and
:class:`~plaza.energy.owner.memory.MemoryOwnerStore` (tests) for :class:`OwnerStore`, both
checked by one contract suite (``tests/contract/test_energy_owner_store.py``),
:class:`~plaza.energy.owner.wallets.OwnerWallets` for :class:`OwnerKeys`,
:class:`~plaza.energy.link.EnergyOutbox` for the letters
(:class:`~plaza.energy.link.LetterSender`). The ledger is
:class:`~plaza.energy.ledger.LedgerAccess` and devices are reached through
:class:`~plaza.market.auth.outbox.Link`, both shared by every energy module.
"""

from __future__ import annotations

from typing import Any, Protocol

from plaza.crypto import SigningKey
from plaza.energy.owner.images import DeviceImage
from plaza.energy.owner.records import Device, DeviceEvent, DeviceStats, Owner
from plaza.energy.owner.transfers import Allowance, TransferState, WalletTransfer
from plaza.ledger.ports import Clock

__all__ = ["Clock", "OwnerKeys", "OwnerStore"]


class OwnerKeys(Protocol):
    """The secrets behind owners: their wallet keys and the pepper of their API keys."""

    def signing_key(self, account: int) -> SigningKey:
        """The wallet key of the owner with this account number; the same every time."""
        ...

    def allowance_key(self, number: int) -> SigningKey:
        """The key of allowance ``number``: apart from every owner's wallet key, the same
        every time."""
        ...

    def hash_api_secret(self, secret: str) -> bytes:
        """A keyed hash of an API key's secret part: what the store keeps instead of it."""
        ...


class OwnerStore(Protocol):
    """Owners, devices, their events, wallet transfers and the log, kept by the module."""

    def add_owner(self, owner_id: str, name: str, key_hash: bytes, created_ms: int) -> Owner:
        """Store a new owner; the store assigns its wallet account number (1, 2, ...);
        :class:`WrongState` if the id is taken."""
        ...

    def owner(self, owner_id: str) -> Owner | None:
        """An owner by id, or None."""
        ...

    def add_device(self, device: Device) -> None:
        """Store a new device; :class:`WrongState` if its id or UUID is onboarded already or
        its owner is unknown."""
        ...

    def update_device(self, device: Device) -> None:
        """Store a device's new settings and update time (its id and UUID stay)."""
        ...

    def remove_device(self, device_id: str) -> None:
        """Remove the device and every event it reported, in one transaction."""
        ...

    def device(self, device_id: str) -> Device | None:
        """A device by its asset id, or None."""
        ...

    def set_device_image(self, device_id: str, image: DeviceImage | None) -> None:
        """Keep ``image`` as the device's picture (None: remove it); removed with the device."""
        ...

    def device_image(self, device_id: str) -> DeviceImage | None:
        """The device's picture, or None."""
        ...

    def device_by_uuid(self, uuid: str) -> Device | None:
        """The device onboarded with this UUID, or None."""
        ...

    def devices_of(self, owner_id: str) -> list[Device]:
        """An owner's devices, oldest first."""
        ...

    def add_event(self, event: DeviceEvent) -> bool:
        """File a reported state; False if the very same state was filed before."""
        ...

    def device_stats(self, device_id: str) -> DeviceStats:
        """Energy and value of finished provisions, transactions and their mean latest price."""
        ...

    def transactions(
        self, device_id: str, *, status: str | None, search: str | None, limit: int, offset: int
    ) -> tuple[int, list[list[DeviceEvent]]]:
        """Matching transactions (by latest status, id containing ``search``), newest first:
        how many match in all, and the page's, each its events newest first."""
        ...

    def events_of(self, device_id: str, transaction_id: str) -> list[DeviceEvent]:
        """One transaction's events, oldest first."""
        ...

    def add_transfer(self, transfer: WalletTransfer) -> None:
        """Store a wallet transfer; one already stored (same message id) stays as it is."""
        ...

    def funding(self, device_id: str, reference: str) -> WalletTransfer | None:
        """The latest funding of the device made for this ``/fund`` reference, if any."""
        ...

    def funded_by_letters(self, device_id: str, *, since_ms: int) -> int:
        """What ``/fund`` letters moved to the device since ``since_ms``, refused moves aside."""
        ...

    def pending_fundings(self, device_id: str) -> list[WalletTransfer]:
        """The device's fundings the ledger has not decided yet."""
        ...

    def transfers_of(self, owner_id: str, *, limit: int) -> list[WalletTransfer]:
        """An owner's wallet transfers, newest first."""
        ...

    def pending_transfers(self) -> list[WalletTransfer]:
        """Every transfer the ledger has not decided yet, oldest first."""
        ...

    def settle_transfer(self, message_id: str, state: TransferState) -> None:
        """What the ledger decided of a transfer."""
        ...

    def add_allowance(
        self, owner_id: str, allowance_id: str, cap: int, return_address: str, created_ms: int
    ) -> Allowance:
        """Store a new active allowance; the store assigns its key number (1, 2, ...);
        :class:`WrongState` if its owner is unknown or the id taken."""
        ...

    def allowances_of(self, owner_id: str) -> list[Allowance]:
        """An owner's allowances, newest first."""
        ...

    def revoke_allowance(self, allowance_id: str, at_ms: int) -> None:
        """Mark the allowance revoked at ``at_ms`` (once: a revoked one keeps its time)."""
        ...

    def allowance_paid(self, allowance_id: str) -> int:
        """What the allowance paid to devices, moves the ledger refused aside."""
        ...

    def log(self, at_ms: int, operation: str, subject: str, outcome: str, detail: str) -> None:
        """Record a significant operation and how it ended (the seed's ``log`` table)."""
        ...

    def log_entries(self, *, limit: int = 100) -> list[dict[str, Any]]:
        """The latest log lines, newest first (for operators and tests)."""
        ...

    def close(self) -> None:
        """Release the database; the store is not used after."""
        ...
