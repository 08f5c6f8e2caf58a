"""Device management: onboarding, reconfiguring and stopping devices, each through ``/init``.

The device holds its keys, so nothing about it is stored before it has answered:
:class:`DeviceManager` posts the seed's ``/init`` with the device's new settings,
checks the public key and wallet address the device answers with, and only then
writes the record. A device that is down or refuses leaves the record as it was.
This is the user module's only conversation with devices over the
:class:`~plaza.market.auth.outbox.Link`, kept apart from the owners' wallets and the
letters devices write back (:mod:`plaza.energy.owner.service`).

Each device's changes hold the lock of its UUID (:class:`KeyedLocks`), so two
onboardings of the same UUID never both pass the check that it is new.
"""

from __future__ import annotations

import secrets
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from plaza.crypto import Address, InvalidAddress
from plaza.energy.envelope import ModuleKey
from plaza.energy.errors import InvalidMessage, PeerFailed, WrongState
from plaza.energy.owner.ports import Clock, OwnerStore
from plaza.energy.owner.records import Device, DeviceSettings, Owner
from plaza.energy.peers import Peer
from plaza.market.auth.outbox import Link, post_json

__all__ = ["DeviceManager", "KeyedLocks"]


class KeyedLocks:
    """One lock per key (an owner's wallet, a device's UUID), so unrelated work never waits."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks[key]
        with lock:
            yield


class DeviceManager:
    """Pushes each device's configuration to it and stores what the device accepted."""

    def __init__(
        self,
        *,
        store: OwnerStore,
        link: Link,
        clock: Clock,
        locks: KeyedLocks,
        marketplace: Peer,
        owner_url: str,
        owner_key: ModuleKey,
    ) -> None:
        self._store = store
        self._link = link
        self._clock = clock
        self._locks = locks
        self._marketplace = marketplace
        self._owner_url = owner_url
        self._owner_key = owner_key
        self._onboarding: set[str] = set()  # ids of devices told /init, not stored yet

    def onboarding(self, device_id: str) -> bool:
        """Whether the device is being onboarded now: it has been sent ``/init`` (and may be
        registering at the marketplace) but its answer is not stored yet."""
        return device_id in self._onboarding

    def onboard(self, owner: Owner, settings: DeviceSettings) -> Device:
        """A new device of ``owner``, stored with the keys it answered ``/init`` with."""
        device_id = "a" + secrets.token_hex(8)
        with self._locks.hold(settings.uuid):
            if self._store.device_by_uuid(settings.uuid) is not None:
                raise WrongState("a device with this UUID is onboarded already")
            now = self._clock.now_ms()
            configured = Device(device_id, owner.id, settings, "", "", now, now)
            self._onboarding.add(device_id)
            try:
                public_key, wallet = self._configure(configured, settings.status)
                device = replace(configured, public_key=public_key, wallet_address=wallet)
                self._store.add_device(device)
            finally:
                self._onboarding.discard(device_id)
        return device

    def reconfigure(self, device: Device, settings: DeviceSettings) -> Device:
        """The device with ``settings``, kept only if it accepted them with the same keys.

        A change of only what the device is not told (the owner's rules, such as
        ``fundingCap``) is stored without asking it. ``updated_ms`` grows with every change, so the
        marketplace tells a newer status from a late one.
        """
        with self._locks.hold(device.settings.uuid):
            updated = replace(device, settings=settings, updated_ms=self.next_update(device))
            owners_only = settings != device.settings
            if owners_only and settings.device_side == device.settings.device_side:
                self._store.update_device(updated)
                return updated
            public_key, wallet = self._configure(updated, settings.status)
            if (public_key, wallet) != (device.public_key, device.wallet_address):
                reason = "it answered with other keys than on record; delete and onboard it anew"
                raise PeerFailed(settings.url, "/init", reason, refused=True)
            self._store.update_device(updated)
        return updated

    def remove(self, device: Device, *, force: bool) -> str | None:
        """Tell the device to stop, then forget it and its events.

        A device that cannot be told is kept (:class:`PeerFailed` goes on), unless
        ``force``: then it is forgotten anyway and the answer is why it was not told.
        """
        unconsented: str | None = None
        with self._locks.hold(device.settings.uuid):
            try:
                self._configure(device, "stopped")
            except PeerFailed as error:
                if not force:
                    raise
                unconsented = error.message
            self._store.remove_device(device.id)
        return unconsented

    def next_update(self, device: Device) -> int:
        """The time of the device's next change: now, and later than its last one."""
        return max(self._clock.now_ms(), device.updated_ms + 1)

    def _configure(self, device: Device, status: str) -> tuple[str, str]:
        """Post ``/init``; the device's public key and wallet address from its answer."""
        body = device.init_body(
            status,
            marketplace_url=self._marketplace.url,
            marketplace_key=self._marketplace.key.to_text(),
            owner_url=self._owner_url,
            owner_key=self._owner_key.to_text(),
        )
        url = device.settings.url
        reply = post_json(self._link, url, "/init", body)
        try:
            public_key = ModuleKey.from_text(reply.get("publicKey")).to_text()
            wallet = reply.get("walletAddress")
            if not isinstance(wallet, str):
                raise InvalidMessage("walletAddress is missing")
            return public_key, str(Address.parse(wallet))
        except (InvalidMessage, InvalidAddress) as error:
            raise PeerFailed(url, "/init", f"invalid answer: {error}", refused=True) from None
