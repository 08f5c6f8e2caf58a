"""What the user module keeps: owners, devices and their settings, reported events.

The wallets' transfers are :mod:`plaza.energy.owner.transfers`.

The onboarding form is the seed's "Add a new device" dialog with Plaza's units
(``energyPrice`` in base units per kWh, ``minOfferAmount`` in Wh, both integers).
It is checked here, field by field, so the HTTP API and the demo refuse the same
forms with the same words; an unknown field is refused rather than silently
dropped (a typo must not onboard a device with a default price).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Self
from urllib.parse import urlsplit

from plaza.energy.envelope import canonical_json
from plaza.energy.errors import InvalidMessage
from plaza.energy.fields import choice, integer, text
from plaza.energy.model import MAX_ENERGY_WH, MAX_PRICE, AssetType, Transaction
from plaza.ledger.model import MAX_AMOUNT

__all__ = [
    "DEFAULT_FUNDING_CAP",
    "FUNDING_WINDOW_MS",
    "Device",
    "DeviceEvent",
    "DeviceSettings",
    "DeviceStats",
    "NewOwner",
    "Owner",
    "TransactionPage",
    "event_digest",
]

_HOUR_MS = 3600 * 1000
#: Optional timings passed through to the device (milliseconds) with the least each may be:
#: offers live at least an hour (the seed), payers are reminded at most every second.
PASSED_THROUGH = {
    "maxWaitMs": 1000,
    "offerValidityMs": _HOUR_MS,
    "provisionMs": 0,
    "paymentQueueProcessingSpeed": 0,
}
_MAX_MS = 366 * 24 * _HOUR_MS
_MAX_NAME = 100
_FORM = frozenset(
    {
        "type",
        "name",
        "uuid",
        "energyPrice",
        "maxEnergyPrice",
        "running",
        "dashboard",
        "url",
        "location",
        "description",
        "minOfferAmount",
        "fundingCap",
        *PASSED_THROUGH,
    }
)
#: The most ``/fund`` letters may move to a device in any 24 hours unless its owner sets
#: ``fundingCap``: a tenth of a devnet faucet grant, days of a household's energy.
DEFAULT_FUNDING_CAP = 100_000
#: The window of the funding cap.
FUNDING_WINDOW_MS = 24 * _HOUR_MS
#: What identifies the physical device: a settings update cannot change it.
_FIXED = ("type", "uuid")


@dataclass(frozen=True, slots=True)
class Owner:
    id: str
    name: str
    account: int  # which wallet key of the module's wallet secret is this owner's
    key_hash: bytes = field(repr=False)
    created_ms: int

    def check_key(self, key_hash: bytes) -> bool:
        return hmac.compare_digest(self.key_hash, key_hash)


@dataclass(frozen=True, slots=True)
class NewOwner:
    """A freshly created owner and its API key, which exists in clear only here."""

    owner: Owner
    api_key: str = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        return {"ownerId": self.owner.id, "apiKey": self.api_key}


def _bool(form: Mapping[str, Any], name: str) -> bool:
    value = form.get(name)
    if not isinstance(value, bool):
        raise InvalidMessage(f"{name} must be true or false")
    return value


def _url(form: Mapping[str, Any]) -> str:
    url = text(form, "url", required=True).strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise InvalidMessage(f"url must be the device's http(s) address, got {url!r}")
    return url.rstrip("/")


@dataclass(frozen=True, slots=True)
class DeviceSettings:
    """A device's configuration as its owner set it (the seed's onboarding form)."""

    type: AssetType
    name: str
    uuid: str = field(repr=False)  # what the device trusts /init by: the owner's secret
    energy_price: int
    max_energy_price: int
    min_offer_amount: int
    running: bool
    dashboard: bool
    url: str
    location: str
    description: str
    timings: dict[str, int]
    #: The owner's rule, never sent to the device: the most /fund letters may move to it
    #: in any 24 hours (base units; 0: the owner funds it by hand only).
    funding_cap: int = DEFAULT_FUNDING_CAP

    @property
    def status(self) -> str:
        return "running" if self.running else "paused"

    @property
    def device_side(self) -> Self:
        """The settings the device is told (``/init``): everything but the owner's rules."""
        return replace(self, funding_cap=DEFAULT_FUNDING_CAP)

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> Self:
        """Check an onboarding form; :class:`InvalidMessage` names the first bad field."""
        if not isinstance(form, Mapping):
            raise InvalidMessage("the device form must be a JSON object")
        if unknown := sorted(set(form) - _FORM):
            raise InvalidMessage(f"unknown field(s): {', '.join(unknown)}")
        kind = choice(form, "type", AssetType)
        price = integer(form, "energyPrice", low=1, high=MAX_PRICE)
        if kind is AssetType.PROVIDER and "maxEnergyPrice" in form:
            raise InvalidMessage("only a consumer has a maxEnergyPrice")
        most = integer(form, "maxEnergyPrice", low=price, high=MAX_PRICE, default=price)
        return cls(
            type=kind,
            name=text(form, "name", required=True, limit=_MAX_NAME).strip(),
            uuid=text(form, "uuid", required=True, limit=128).strip(),
            energy_price=price,
            max_energy_price=most,
            min_offer_amount=integer(form, "minOfferAmount", low=1, high=MAX_ENERGY_WH),
            running=_bool({"running": True, **form}, "running"),
            dashboard=_bool({"dashboard": False, **form}, "dashboard"),
            url=_url(form),
            location=text(form, "location").strip(),
            description=text(form, "description").strip(),
            timings={
                name: integer(form, name, low=least, high=_MAX_MS)
                for name, least in PASSED_THROUGH.items()
                if name in form
            },
            funding_cap=integer(
                form, "fundingCap", low=0, high=MAX_AMOUNT, default=DEFAULT_FUNDING_CAP
            ),
        )

    def changed(self, changes: Mapping[str, Any]) -> Self:
        """These settings with ``changes`` applied (a settings update); the type and the
        UUID name the physical device and stay as they are."""
        if not isinstance(changes, Mapping):
            raise InvalidMessage("the settings must be a JSON object")
        current = self.to_form()
        for name in _FIXED:
            if name in changes and changes[name] != current[name]:
                raise InvalidMessage(f"{name} cannot change; onboard the device anew instead")
        merged = {**current, **changes}
        price = merged.get("energyPrice")
        if self.type is AssetType.CONSUMER and "maxEnergyPrice" not in changes:
            raised = price if isinstance(price, int) and not isinstance(price, bool) else 0
            merged["maxEnergyPrice"] = max(self.max_energy_price, raised)
        return self.from_form(merged)

    def to_form(self) -> dict[str, Any]:
        """The settings as the onboarding form spells them, UUID included (for storage)."""
        form: dict[str, Any] = {
            "type": str(self.type),
            "name": self.name,
            "uuid": self.uuid,
            "energyPrice": self.energy_price,
            "minOfferAmount": self.min_offer_amount,
            "running": self.running,
            "dashboard": self.dashboard,
            "url": self.url,
            "location": self.location,
            "description": self.description,
            **self.timings,
            "fundingCap": self.funding_cap,
        }
        if self.type is AssetType.CONSUMER:
            form["maxEnergyPrice"] = self.max_energy_price
        return form


@dataclass(frozen=True, slots=True)
class Device:
    id: str  # the seed's assetId
    owner_id: str
    settings: DeviceSettings
    public_key: str  # the ModuleKey text the device answered /init with
    wallet_address: str
    created_ms: int
    updated_ms: int

    @property
    def is_provider(self) -> bool:
        return self.settings.type is AssetType.PROVIDER

    def to_json(self) -> dict[str, Any]:
        """What the owner sees: everything but the UUID, which only travels in /init."""
        public = {k: v for k, v in self.settings.to_form().items() if k != "uuid"}
        return {
            "assetId": self.id,
            **public,
            "status": self.settings.status,
            "publicKey": self.public_key,
            "walletAddress": self.wallet_address,
            "createdAt": self.created_ms,
            "updatedAt": self.updated_ms,
        }

    def init_body(
        self,
        status: str,
        *,
        marketplace_url: str,
        marketplace_key: str,
        owner_url: str,
        owner_key: str,
    ) -> dict[str, Any]:
        """The seed's ``/init`` body: no wallet seed, the device makes its own keys."""
        settings = self.settings
        body: dict[str, Any] = {
            "assetId": self.id,
            "assetName": settings.name,
            "assetDescription": settings.description,
            "type": str(settings.type),
            "assetOwner": self.owner_id,
            "location": settings.location,
            "url": settings.url,
            "uuid": settings.uuid,
            "energyPrice": settings.energy_price,
            "minOfferAmount": settings.min_offer_amount,
            "marketplaceAPI": marketplace_url,
            "marketplacePublicKey": marketplace_key,
            "assetOwnerAPI": owner_url,
            "assetOwnerPublicKey": owner_key,
            "status": status,
            "dashboard": "enabled" if settings.dashboard else "disabled",
            **settings.timings,
        }
        if settings.type is AssetType.CONSUMER:
            body["maxEnergyPrice"] = settings.max_energy_price
        return body


def event_digest(transaction: Transaction) -> bytes:
    """What makes a reported state the same state: a resent letter is filed once."""
    return hashlib.blake2b(canonical_json(transaction.to_json()), digest_size=32).digest()


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    """One state of one of a device's transactions, as the device reported it."""

    device_id: str
    transaction_id: str
    transaction: Transaction
    twin: str  # the reader key of the transaction's digital twin
    received_ms: int
    digest: bytes = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        t = self.transaction
        return {
            "status": str(t.status),
            "timestamp": t.timestamp,
            "energyAmount": t.energyAmount,
            "energyPrice": t.energyPrice,
            "value": t.value,
            "receivedAt": self.received_ms,
            "twin": self.twin,
            "transaction": t.to_json(),
        }


@dataclass(frozen=True, slots=True)
class DeviceStats:
    """The seed's asset overview: energy provided or consumed, transactions, average price."""

    energy_wh: int  # over transactions whose provision finished
    value: int  # what those transactions are worth, base units
    provisions: int
    transactions: int
    average_price: int  # mean of the transactions' latest prices, rounded half up

    def to_json(self) -> dict[str, Any]:
        return {
            "energyWh": self.energy_wh,
            "value": self.value,
            "provisions": self.provisions,
            "transactions": self.transactions,
            "averagePrice": self.average_price,
        }


@dataclass(frozen=True, slots=True)
class TransactionPage:
    """One page of a device's transactions, each with its events, newest first."""

    total: int
    page: int
    per_page: int
    transactions: list[list[DeviceEvent]]

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "page": self.page,
            "perPage": self.per_page,
            "transactions": [_history_json(events) for events in self.transactions],
        }


def _history_json(events: list[DeviceEvent]) -> dict[str, Any]:
    latest = events[0].transaction
    return {
        "transactionId": events[0].transaction_id,
        "status": str(latest.status),
        "timestamp": latest.timestamp,
        "energyAmount": latest.energyAmount,
        "energyPrice": latest.energyPrice,
        "value": latest.value,
        "contractId": latest.contractId,
        "events": [event.to_json() for event in events],
    }
