"""The user module's database in memory: :class:`~plaza.energy.owner.ports.OwnerStore` for
tests.

It keeps the SQLite adapter's promises within one process (one contract suite checks
both, ``tests/contract/test_energy_owner_store.py``): owner ids are unique and accounts
numbered 1, 2, ... in the order owners are added; a device's id and UUID are unique and
its owner must exist (else :class:`~plaza.energy.errors.WrongState`, changing nothing);
a reported state is filed once per device; a transfer is kept once, the first time;
removing a device removes its events with it. Settings are kept as the form text SQLite
keeps and checked again on every read. ``close`` releases nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from plaza.energy.errors import WrongState
from plaza.energy.memory import MemoryTables
from plaza.energy.model import TransactionStatus
from plaza.energy.owner.images import DeviceImage
from plaza.energy.owner.records import Device, DeviceEvent, DeviceSettings, DeviceStats, Owner
from plaza.energy.owner.transfers import Allowance, TransferState, WalletTransfer

__all__ = ["MemoryOwnerStore"]

_FUNDED = (TransferState.PENDING, TransferState.CONFIRMED)  # moves the ledger did not refuse


@dataclass(frozen=True, slots=True)
class _Device:
    owner_id: str
    uuid: str
    settings: str  # the onboarding form as JSON text, UUID included
    public_key: str
    wallet_address: str
    created_ms: int
    updated_ms: int


@dataclass
class _Tables:
    owners: dict[str, Owner] = field(default_factory=dict)
    accounts: int = 0  # the last account number given
    devices: dict[str, _Device] = field(default_factory=dict)
    events: list[DeviceEvent] = field(default_factory=list)  # in the order filed
    transfers: dict[str, WalletTransfer] = field(default_factory=dict)  # in the order stored
    log: list[dict[str, Any]] = field(default_factory=list)
    allowances: list[Allowance] = field(default_factory=list)  # numbered 1, 2, ... in order
    images: dict[str, DeviceImage] = field(default_factory=dict)  # by device id


class MemoryOwnerStore:
    """:class:`~plaza.energy.owner.ports.OwnerStore` in dicts and lists."""

    def __init__(self) -> None:
        self._tables = MemoryTables(_Tables())

    # -- owners ----------------------------------------------------------------------------

    def add_owner(self, owner_id: str, name: str, key_hash: bytes, created_ms: int) -> Owner:
        with self._tables.write() as t:
            if owner_id in t.owners:
                raise WrongState(f"an owner {owner_id!r} exists already")
            t.accounts += 1
            owner = Owner(owner_id, name, t.accounts, bytes(key_hash), created_ms)
            t.owners[owner_id] = owner
        return owner

    def owner(self, owner_id: str) -> Owner | None:
        with self._tables.read() as t:
            return t.owners.get(owner_id)

    # -- devices ---------------------------------------------------------------------------

    def add_device(self, device: Device) -> None:
        with self._tables.write() as t:
            uuid = device.settings.uuid
            taken = device.id in t.devices or any(d.uuid == uuid for d in t.devices.values())
            if taken or device.owner_id not in t.owners:
                raise WrongState("a device with this UUID is onboarded already")
            t.devices[device.id] = _Device(
                device.owner_id,
                uuid,
                json.dumps(device.settings.to_form()),
                device.public_key,
                device.wallet_address,
                device.created_ms,
                device.updated_ms,
            )

    def update_device(self, device: Device) -> None:
        settings = json.dumps(device.settings.to_form())
        with self._tables.write() as t:
            known = t.devices.get(device.id)
            if known is not None:
                t.devices[device.id] = replace(
                    known, settings=settings, updated_ms=device.updated_ms
                )

    def remove_device(self, device_id: str) -> None:
        with self._tables.write() as t:
            t.events = [event for event in t.events if event.device_id != device_id]
            t.images.pop(device_id, None)
            t.devices.pop(device_id, None)

    def device(self, device_id: str) -> Device | None:
        with self._tables.read() as t:
            row = t.devices.get(device_id)
        return None if row is None else _device(device_id, row)

    def device_by_uuid(self, uuid: str) -> Device | None:
        with self._tables.read() as t:
            found = [(did, row) for did, row in t.devices.items() if row.uuid == uuid]
        return _device(*found[0]) if found else None

    def devices_of(self, owner_id: str) -> list[Device]:
        with self._tables.read() as t:
            rows = sorted(
                (row.created_ms, did, row)
                for did, row in t.devices.items()
                if row.owner_id == owner_id
            )
        return [_device(did, row) for _, did, row in rows]

    # -- events ----------------------------------------------------------------------------

    def add_event(self, event: DeviceEvent) -> bool:
        with self._tables.write() as t:
            if any(e.device_id == event.device_id and e.digest == event.digest for e in t.events):
                return False
            t.events.append(event)
            return True

    def device_stats(self, device_id: str) -> DeviceStats:
        """Energy and value over each transaction's latest finished provision; the count and
        mean price over each transaction's latest state."""
        finished = self._latest(device_id, lambda e: e.transaction.status is _FINISHED)
        latest = self._latest(device_id, lambda e: True)
        energy = sum(e.transaction.energyAmount for e in finished)
        value = sum(e.transaction.value for e in finished)
        count, prices = len(latest), sum(e.transaction.energyPrice for e in latest)
        average = (2 * prices + count) // (2 * count) if count else 0
        return DeviceStats(energy, value, len(finished), count, average)

    def transactions(
        self, device_id: str, *, status: str | None, search: str | None, limit: int, offset: int
    ) -> tuple[int, list[list[DeviceEvent]]]:
        with self._tables.read() as t:
            mine = [e for e in t.events if e.device_id == device_id]
        latest: dict[str, DeviceEvent] = {}
        for event in mine:  # the first seen first: newest first is this order reversed
            latest[event.transaction_id] = event
        matching = [
            tid
            for tid, event in latest.items()
            if (status is None or str(event.transaction.status) == status)
            and (search is None or search in tid)
        ][::-1]
        page = matching[max(offset, 0) :][: max(limit, 0)]
        return len(matching), [self.events_of(device_id, tid)[::-1] for tid in page]

    def events_of(self, device_id: str, transaction_id: str) -> list[DeviceEvent]:
        with self._tables.read() as t:
            return [
                e
                for e in t.events
                if e.device_id == device_id and e.transaction_id == transaction_id
            ]

    def _latest(self, device_id: str, wanted: Callable[[DeviceEvent], bool]) -> list[DeviceEvent]:
        """Each of the device's transactions' latest event among the ``wanted`` ones."""
        found: dict[str, DeviceEvent] = {}
        with self._tables.read() as t:
            for event in t.events:
                if event.device_id == device_id and wanted(event):
                    found[event.transaction_id] = event
        return list(found.values())

    # -- transfers and log -----------------------------------------------------------------

    def add_transfer(self, transfer: WalletTransfer) -> None:
        with self._tables.write() as t:
            t.transfers.setdefault(transfer.message_id, transfer)

    def funding(self, device_id: str, reference: str) -> WalletTransfer | None:
        fundings = self._transfers(
            lambda f: f.device_id == device_id and f.kind == "fund" and f.reference == reference
        )
        newest = sorted(enumerate(fundings), key=lambda pair: (pair[1].created_ms, pair[0]))
        return newest[-1][1] if reference and newest else None  # "" is no reference at all

    def funded_by_letters(self, device_id: str, *, since_ms: int) -> int:
        """What ``/fund`` letters moved to the device since ``since_ms`` (transfers the ledger
        refused, conflicting or expired, moved nothing and do not count)."""
        return sum(
            f.amount
            for f in self._transfers(
                lambda f: (
                    f.device_id == device_id
                    and f.kind == "fund"
                    and bool(f.reference)
                    and f.created_ms >= since_ms
                    and f.state in _FUNDED
                )
            )
        )

    def pending_fundings(self, device_id: str) -> list[WalletTransfer]:
        """The device's fundings (by letter or by hand) the ledger has not decided yet."""
        return self._oldest_first(
            lambda f: f.device_id == device_id and f.kind == "fund" and f.state is _PENDING
        )

    def transfers_of(self, owner_id: str, *, limit: int) -> list[WalletTransfer]:
        mine = list(enumerate(self._transfers(lambda f: f.owner_id == owner_id)))
        mine.sort(key=lambda pair: (pair[1].created_ms, pair[0]), reverse=True)
        return [transfer for _, transfer in mine[: max(limit, 0)]]

    def pending_transfers(self) -> list[WalletTransfer]:
        return self._oldest_first(lambda f: f.state is _PENDING)

    def settle_transfer(self, message_id: str, state: TransferState) -> None:
        with self._tables.write() as t:
            known = t.transfers.get(message_id)
            if known is not None:
                t.transfers[message_id] = replace(known, state=state)

    def _transfers(self, wanted: Callable[[WalletTransfer], bool]) -> list[WalletTransfer]:
        with self._tables.read() as t:
            return [f for f in t.transfers.values() if wanted(f)]

    def _oldest_first(self, wanted: Callable[[WalletTransfer], bool]) -> list[WalletTransfer]:
        return sorted(self._transfers(wanted), key=lambda f: f.created_ms)

    # -- pictures --------------------------------------------------------------------------

    def set_device_image(self, device_id: str, image: DeviceImage | None) -> None:
        with self._tables.write() as t:
            if image is None:
                t.images.pop(device_id, None)
            elif device_id in t.devices:
                t.images[device_id] = image

    def device_image(self, device_id: str) -> DeviceImage | None:
        with self._tables.read() as t:
            return t.images.get(device_id)

    # -- allowances ------------------------------------------------------------------------

    def add_allowance(
        self, owner_id: str, allowance_id: str, cap: int, return_address: str, created_ms: int
    ) -> Allowance:
        with self._tables.write() as t:
            taken = any(a.id == allowance_id for a in t.allowances)
            if taken or owner_id not in t.owners:
                raise WrongState(f"no allowance {allowance_id!r} for {owner_id!r}")
            number = len(t.allowances) + 1
            allowance = Allowance(allowance_id, owner_id, number, cap, return_address, created_ms)
            t.allowances.append(allowance)
        return allowance

    def allowances_of(self, owner_id: str) -> list[Allowance]:
        with self._tables.read() as t:
            return [a for a in t.allowances[::-1] if a.owner_id == owner_id]

    def revoke_allowance(self, allowance_id: str, at_ms: int) -> None:
        with self._tables.write() as t:
            t.allowances = [
                replace(a, revoked_ms=at_ms) if a.id == allowance_id and a.active else a
                for a in t.allowances
            ]

    def allowance_paid(self, allowance_id: str) -> int:
        return sum(
            f.amount
            for f in self._transfers(
                lambda f: f.allowance == allowance_id and f.kind == "fund" and f.state in _FUNDED
            )
        )

    def log(self, at_ms: int, operation: str, subject: str, outcome: str, detail: str) -> None:
        line = {
            "at": at_ms,
            "operation": operation,
            "subject": subject,
            "outcome": outcome,
            "detail": detail,
        }
        with self._tables.write() as t:
            t.log.append(line)

    def log_entries(self, *, limit: int = 100) -> list[dict[str, Any]]:
        """The latest log lines, newest first (for tests and operators)."""
        with self._tables.read() as t:
            return [dict(line) for line in t.log[::-1][: max(limit, 0)]]

    def close(self) -> None:
        """Nothing to release."""


_FINISHED = TransactionStatus.PROVISION_FINISHED
_PENDING = TransferState.PENDING


def _device(device_id: str, row: _Device) -> Device:
    settings = DeviceSettings.from_form(json.loads(row.settings))
    return Device(
        device_id,
        row.owner_id,
        settings,
        row.public_key,
        row.wallet_address,
        row.created_ms,
        row.updated_ms,
    )
