"""What an asset is configured with, and the records and ports its domain works through.

The seed configures a device remotely with ``/init``; :meth:`AssetConfig.from_init`
reads that body (the seed's fields and Plaza's additions) and refuses what
Plaza fixed in the protocol: a wallet seed never travels to a device, amounts
are whole watt-hours and prices whole base units per kWh. A second ``/init``
is an update: its fields are laid over the stored configuration and the whole
is checked again, so a dashboard may send just ``{"status": "paused", "uuid"}``.

:class:`OwnTransaction` is one of the asset's transactions as the domain sees it (its
latest state, its contract once matched, when it last moved), :class:`Change`
one state change, applied by the store in one database transaction together
with its event, the pool and the payment queue. What the module needs of the world
(the store, twins, outbox) is in :mod:`plaza.energy.asset.ports`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Self

from plaza.energy.envelope import ModuleKey
from plaza.energy.errors import EnergyForbidden, InvalidMessage
from plaza.energy.fields import choice
from plaza.energy.model import MAX_ENERGY_WH, MAX_PRICE, AssetType, EnergyContract, Transaction
from plaza.market.settlement import SettlementPolicy

__all__ = [
    "AssetConfig",
    "AssetSettings",
    "Change",
    "OwnTransaction",
    "Pool",
    "RunStatus",
]

HOUR_MS = 60 * 60 * 1000
DEFAULT_OFFER_VALIDITY_MS = 24 * HOUR_MS
MIN_OFFER_VALIDITY_MS = HOUR_MS
DEFAULT_MAX_WAIT_MS = HOUR_MS
DEFAULT_PAYMENT_SPEED_MS = 5000
_MAX_DURATION_MS = 366 * 24 * HOUR_MS
_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_URL = re.compile(r"https?://[^\s]{1,240}")
_SECRET_FIELDS = frozenset({"seed", "mnemonic", "privatekey", "secret"})
_MAX_TEXT = 256


class RunStatus(enum.StrEnum):
    """The seed's "Pause operation" / "Continue operation" switch."""

    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class AssetSettings:
    """How the device runs, beyond what its owner configures with ``/init``: the market's
    settlement policy gives its payment batch (``batch_size``) and the reminders before the
    claim (``max_reminders``); its waits are the owner's (``maxWaitMs``)."""

    settlement: SettlementPolicy = field(default_factory=SettlementPolicy)
    max_new_requests: int = 10  # requests one /consume or cycle may open at most


@dataclass(frozen=True, slots=True)
class AssetConfig:
    """The device's configuration; wire names in :meth:`to_json`, never a secret in it."""

    asset_id: str
    type: AssetType
    asset_owner: str
    marketplace_api: str
    owner_api: str
    marketplace_key: ModuleKey
    owner_key: ModuleKey
    min_offer_amount: int
    energy_price: int
    max_energy_price: int
    status: RunStatus = RunStatus.RUNNING
    asset_name: str = ""
    asset_description: str = ""
    location: str = ""
    url: str = ""
    network: str = ""
    dashboard: str = "disabled"
    exchange_rate: str = ""
    offer_validity_ms: int = DEFAULT_OFFER_VALIDITY_MS
    max_wait_ms: int = DEFAULT_MAX_WAIT_MS
    payment_speed_ms: int = DEFAULT_PAYMENT_SPEED_MS
    provision_ms: int = 0

    @property
    def running(self) -> bool:
        return self.status is RunStatus.RUNNING

    def to_json(self) -> dict[str, Any]:
        return {wire: _wire_value(getattr(self, name)) for name, wire in _WIRE.items()}

    @classmethod
    def from_init(cls, body: Mapping[str, Any], previous: Self | None = None) -> Self:
        """The configuration ``body`` sets, laid over ``previous``; refuses any seed."""
        refuse_secrets(body)
        merged = {**(previous.to_json() if previous else {}), **body}
        config = cls._parse(merged)
        if previous is not None:
            for name in ("asset_id", "type"):
                if getattr(config, name) != getattr(previous, name):
                    raise EnergyForbidden(f"{_WIRE[name]} cannot change after the first /init")
        return config

    @classmethod
    def _parse(cls, data: Mapping[str, Any]) -> Self:
        kind = choice(data, "type", AssetType)
        price_field = "energyPrice" if kind is AssetType.PROVIDER else "maxEnergyPrice"
        prices = {
            name: _integer(data, name, low=1, high=MAX_PRICE, required=name == price_field)
            for name in ("energyPrice", "maxEnergyPrice")
        }
        return cls(
            asset_id=_text(data, "assetId", required=True, pattern=_ID),
            type=kind,
            asset_owner=_text(data, "assetOwner", required=True, pattern=_ID),
            marketplace_api=_text(data, "marketplaceAPI", required=True, pattern=_URL),
            owner_api=_text(data, "assetOwnerAPI", required=True, pattern=_URL),
            marketplace_key=_key(data, "marketplacePublicKey"),
            owner_key=_key(data, "assetOwnerPublicKey"),
            min_offer_amount=_integer(
                data, "minOfferAmount", low=1, high=MAX_ENERGY_WH, required=True
            ),
            energy_price=prices["energyPrice"],
            max_energy_price=prices["maxEnergyPrice"],
            status=choice(data, "status", RunStatus, default=RunStatus.RUNNING),
            asset_name=_text(data, "assetName"),
            asset_description=_text(data, "assetDescription"),
            location=_text(data, "location"),
            url=_text(data, "url"),
            network=_text(data, "network"),
            dashboard=_text(data, "dashboard") or "disabled",
            exchange_rate=_decimal(data, "exchangeRate"),
            offer_validity_ms=_duration(
                data, "offerValidityMs", DEFAULT_OFFER_VALIDITY_MS, low=MIN_OFFER_VALIDITY_MS
            ),
            max_wait_ms=_duration(data, "maxWaitMs", DEFAULT_MAX_WAIT_MS, low=1000),
            payment_speed_ms=_duration(
                data, "paymentQueueProcessingSpeed", DEFAULT_PAYMENT_SPEED_MS, low=0
            ),
            provision_ms=_duration(data, "provisionMs", 0, low=0),
        )


_WIRE = {
    "asset_id": "assetId",
    "type": "type",
    "asset_owner": "assetOwner",
    "marketplace_api": "marketplaceAPI",
    "owner_api": "assetOwnerAPI",
    "marketplace_key": "marketplacePublicKey",
    "owner_key": "assetOwnerPublicKey",
    "min_offer_amount": "minOfferAmount",
    "energy_price": "energyPrice",
    "max_energy_price": "maxEnergyPrice",
    "status": "status",
    "asset_name": "assetName",
    "asset_description": "assetDescription",
    "location": "location",
    "url": "url",
    "network": "network",
    "dashboard": "dashboard",
    "exchange_rate": "exchangeRate",
    "offer_validity_ms": "offerValidityMs",
    "max_wait_ms": "maxWaitMs",
    "payment_speed_ms": "paymentQueueProcessingSpeed",
    "provision_ms": "provisionMs",
}


def _wire_value(value: object) -> object:
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, ModuleKey):
        return value.to_text()
    return value


def refuse_secrets(body: object, path: str = "") -> None:
    """Refuse a body that carries a seed or private key anywhere: the device makes its own."""
    if isinstance(body, Mapping):
        for name, value in body.items():
            where = f"{path}.{name}" if path else str(name)
            if str(name).lower() in _SECRET_FIELDS:
                raise InvalidMessage(
                    f"{where} is refused: a device creates its own keys and wallet, "
                    "a seed is never sent to it"
                )
            refuse_secrets(value, where)
    elif isinstance(body, list):
        for index, item in enumerate(body):
            refuse_secrets(item, f"{path}[{index}]")


def _text(
    data: Mapping[str, Any],
    name: str,
    *,
    required: bool = False,
    pattern: re.Pattern[str] | None = None,
) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise InvalidMessage(f"{name} must be a string")
    if required and not value:
        raise InvalidMessage(f"{name} is required")
    if len(value) > _MAX_TEXT:
        raise InvalidMessage(f"{name} is longer than {_MAX_TEXT} characters")
    if value and pattern is not None and not pattern.fullmatch(value):
        raise InvalidMessage(f"{name} {value!r} is not valid")
    return value


def _integer(
    data: Mapping[str, Any],
    name: str,
    *,
    low: int,
    high: int,
    required: bool = False,
    default: int | None = None,
) -> int:
    if name not in data or data[name] is None:
        if required:
            raise InvalidMessage(f"{name} is required")
        return low if default is None else default
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidMessage(f"{name} must be an integer (Wh, base units, milliseconds)")
    if not low <= value <= high:
        raise InvalidMessage(f"{name} must be between {low} and {high}, got {value}")
    return value


def _duration(data: Mapping[str, Any], name: str, default: int, *, low: int) -> int:
    return _integer(data, name, low=low, high=_MAX_DURATION_MS, default=default)


def _key(data: Mapping[str, Any], name: str) -> ModuleKey:
    if not data.get(name):
        raise InvalidMessage(f"{name} is required")
    try:
        return ModuleKey.from_text(data[name])
    except InvalidMessage as error:
        raise InvalidMessage(f"{name}: {error.message}") from None


def _decimal(data: Mapping[str, Any], name: str) -> str:
    """The seed's ``exchangeRate`` is shown, never computed with: kept as decimal text."""
    value = data.get(name)
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidMessage(f"{name} must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise InvalidMessage(f"{name} must be a number") from None
    if not number.is_finite() or number < 0:
        raise InvalidMessage(f"{name} must be a finite number, not negative")
    return str(number)


@dataclass(frozen=True, slots=True)
class Pool:
    """The device's energy in Wh; ``reserved`` is promised to open offers and contracts."""

    energy: int
    reserved: int

    @property
    def available(self) -> int:
        return self.energy - self.reserved


@dataclass(frozen=True, slots=True)
class OwnTransaction:
    """One of the asset's own transactions: ``id`` is its side's transaction id."""

    id: str
    state: Transaction
    created_ms: int
    idle_since_ms: int  # last state change, or last time the cycle acted on it
    contract: EnergyContract | None = None
    claimed: bool = False


@dataclass(frozen=True, slots=True)
class Change:
    """One state change of a record, and what moves with it in the same transaction."""

    record: OwnTransaction  # as it is after the change
    operation: str  # for the log
    twin_message: str  # the ledger message the state landed in on the twin
    energy: int = 0  # added to the pool
    reserved: int = 0  # added to the reserved energy
    queue: bool | None = None  # into (True) or out of (False) the payment queue
