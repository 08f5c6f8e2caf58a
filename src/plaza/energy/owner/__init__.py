"""The user module of the energy marketplace: owners, their wallets and their devices.

:func:`open_owner` opens it on a data directory; the :class:`OwnerService` it returns
serves the seed's ``/fund`` and ``/notify_event`` letters and the owners' ``/api``
(``.app``), and offers the same operations as Python methods for the demo.
"""

from plaza.energy.owner.app import OwnerService, create_owner_app, open_owner, owner_key
from plaza.energy.owner.records import (
    Device,
    DeviceSettings,
    DeviceStats,
    Event,
    NewOwner,
    Owner,
    TransactionPage,
    Transfer,
    TransferState,
)
from plaza.energy.owner.service import OwnerModule
from plaza.energy.owner.store import SqliteOwnerStore
from plaza.energy.owner.wallets import OwnerWallets

__all__ = [
    "Device",
    "DeviceSettings",
    "DeviceStats",
    "Event",
    "NewOwner",
    "Owner",
    "OwnerModule",
    "OwnerService",
    "OwnerWallets",
    "SqliteOwnerStore",
    "TransactionPage",
    "Transfer",
    "TransferState",
    "create_owner_app",
    "open_owner",
    "owner_key",
]
