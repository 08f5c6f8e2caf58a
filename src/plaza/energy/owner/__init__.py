"""The user module of the energy marketplace: owners, their wallets and their devices.

:class:`OwnerModule` is the domain. :func:`plaza.bootstrap.energy_modules.open_owner`
opens it on a data directory; the :class:`~plaza.api.energy.owner.OwnerService` it
returns serves the seed's ``/fund``, ``/notify_event`` and ``/onboarded`` letters and
the owners' ``/api`` (``.app``), and offers the same operations as Python methods for
the demo.
"""

from plaza.energy.owner.records import (
    Device,
    DeviceEvent,
    DeviceSettings,
    DeviceStats,
    NewOwner,
    Owner,
    TransactionPage,
)
from plaza.energy.owner.service import OwnerModule
from plaza.energy.owner.transfers import TransferState, WalletTransfer
from plaza.energy.owner.wallets import OwnerWallets

__all__ = [
    "Device",
    "DeviceEvent",
    "DeviceSettings",
    "DeviceStats",
    "NewOwner",
    "Owner",
    "OwnerModule",
    "OwnerWallets",
    "TransactionPage",
    "TransferState",
    "WalletTransfer",
]
