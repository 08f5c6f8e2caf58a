"""The marketplace API's wire shapes: requests in, views out.

Money and times are JSON integers (``StrictInt``: ``5.0`` is refused, never
rounded); keys and signatures are lower-case hex; participants are ``plz1…``
addresses. Requests forbid unknown fields, so a misspelt field is a 400 rather
than silently ignored. The domain checks its own rules afterwards
(:func:`plaza.market.model.check_new_order`), so these shapes only fix types
and sizes. Conversions live in :mod:`plaza.api.market.views`.
"""

from __future__ import annotations

import enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from plaza.market.auth import Role, Scope
from plaza.market.model import AssetEvent, AssetStatus, OrderStatus, Side

__all__ = [
    "ID_PATTERN",
    "ApiKeyIn",
    "ApiKeyList",
    "ApiKeyView",
    "AssetIn",
    "AssetList",
    "AssetOutcomeView",
    "AssetStatusFilter",
    "AssetUpdateIn",
    "AssetView",
    "AttributeMap",
    "ConfirmIn",
    "ContractList",
    "ContractTermsView",
    "ContractView",
    "HubCreatedView",
    "HubIn",
    "HubView",
    "IssuedApiKeyView",
    "LocationModel",
    "MarketHealthView",
    "MarketInfoView",
    "OrderIn",
    "OrderList",
    "OrderOutcomeView",
    "OrderView",
    "ParticipantList",
    "ParticipantView",
    "PaymentIn",
    "PaymentView",
    "RegistrationIn",
    "RequirementsModel",
    "SettlementView",
    "SuggestionList",
    "SuggestionView",
]

#: Times are Unix milliseconds that fit a signed 64-bit column (as every stored integer must).
UnixMs = Annotated[StrictInt, Field(ge=0, le=2**63 - 1)]
#: Order, contract, key and subscription ids: short, URL-safe, never a path separator.
ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
_HEX32 = r"^[0-9a-f]{64}$"
_HEX64 = r"^[0-9a-f]{128}$"

AttributeMap = Annotated[
    dict[str, StrictBool | StrictInt | StrictStr],
    Field(max_length=32, description="name -> string, integer or boolean"),
]


class _In(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class LocationModel(_In):
    lat: float = Field(ge=-90, le=90, description="degrees north")
    lon: float = Field(ge=-180, le=180, description="degrees east")


class RequirementsModel(_In):
    """What an order demands of its counterparty; every field is optional."""

    attributes: AttributeMap = {}
    min_quality: Annotated[StrictInt, Field(ge=-(2**31), le=2**31 - 1)] | None = None
    partners: list[Annotated[str, Field(max_length=256)]] = Field(default=[], max_length=64)
    max_distance_km: float | None = None


class OrderIn(_In):
    """An offer or request; its owner is the caller."""

    kind: str = Field(min_length=1, max_length=64, description="e.g. energy, telco:cell")
    quantity: StrictInt = Field(description="units, at least 1")
    unit_price: StrictInt = Field(description="base units per unit")
    valid_from_ms: UnixMs = Field(description="start of the period covered, Unix ms")
    valid_until_ms: UnixMs = Field(description="end of the period (exclusive), Unix ms")
    location: LocationModel | None = None
    attributes: AttributeMap = {}
    requirements: RequirementsModel | None = None
    asset_id: str | None = Field(default=None, max_length=256)


class AssetIn(_In):
    """An asset to register; its owner is the caller, its id the marketplace's choice."""

    kind: str = Field(min_length=1, max_length=64, description="e.g. energy, telco:cell")
    name: str = Field(min_length=1, max_length=256, description="what its owner calls it")
    location: LocationModel | None = None
    attributes: AttributeMap = {}


class AssetUpdateIn(_In):
    """An asset's new description, replacing the old one (its kind and owner never change)."""

    name: str = Field(min_length=1, max_length=256)
    location: LocationModel | None = None
    attributes: AttributeMap = {}


class AssetStatusFilter(enum.StrEnum):
    """Which assets a search lists: one status, or ``any``."""

    ACTIVE = "active"
    DISABLED = "disabled"
    REMOVED = "removed"
    ANY = "any"


class ConfirmIn(_In):
    """A manual match: one of the suggested counterparts, optionally for part of it."""

    counter_id: str = Field(pattern=ID_PATTERN, description="the counterpart order's id")
    quantity: StrictInt | None = Field(default=None, description="default: all that fits")


class PaymentIn(_In):
    """The ledger transfer the consumer's agent paid a contract with (see ``payment_data``)."""

    message_id: str = Field(pattern=_HEX32, description="the transfer's message id, hex")


class RegistrationIn(_In):
    """A registration signed by the key it registers (see ``plaza.market.auth.registration``)."""

    signing_key: str = Field(pattern=_HEX32, description="Ed25519 public key, hex")
    encryption_key: str = Field(pattern=_HEX32, description="X25519 public key, hex")
    display_name: str = Field(min_length=1, max_length=100)
    roles: list[Role] = Field(min_length=1, max_length=4)
    issued_at_ms: UnixMs
    signature: str = Field(pattern=_HEX64, description="Ed25519 over the canonical form, hex")


class ApiKeyIn(_In):
    """A new key; ``expires_in_s`` or ``expires_at_ms`` (not both) ends it unrevoked."""

    name: str = Field(min_length=1, max_length=100, description="a label for its owner")
    scopes: list[Scope] = Field(min_length=1, max_length=4)
    expires_in_s: int | None = Field(
        default=None, ge=1, le=10 * 365 * 24 * 3600, description="lifetime in seconds from now"
    )
    expires_at_ms: int | None = Field(
        default=None, ge=0, le=2**62, description="expiry, Unix milliseconds (after now)"
    )


class HubIn(_In):
    """A TM Forum hub subscription: where to post, and which events (TMF ``query``)."""

    callback: str = Field(min_length=1, max_length=2048, description="absolute http(s) URL")
    query: str = Field(
        default="",
        max_length=2048,
        description="e.g. eventType=ContractCreateEvent&event.contract.state=Fulfilled",
    )


class MarketHealthView(_View):
    status: Literal["ok"] = "ok"


class MarketInfoView(_View):
    """What a client needs before its first signed request."""

    audience: str = Field(description="the name signed requests and registrations address")
    marketplace_id: str = Field(description="the marketplace's own plz1 address")
    signing_key: str = Field(description="verifies contracts (Ed25519, hex)")
    encryption_key: str = Field(description="seals request bodies to the marketplace (X25519, hex)")
    policy: str = Field(description="the matching policy")
    node_url: str | None = Field(description="the ledger node the marketplace uses")
    time_ms: int = Field(description="the marketplace's clock; signed requests must be near it")


class ParticipantView(_View):
    id: str
    signing_key: str
    encryption_key: str
    display_name: str
    roles: list[Role]
    registered_at_ms: int
    excluded: bool


class ParticipantList(_View):
    items: list[ParticipantView]


class ApiKeyView(_View):
    id: str
    owner_id: str
    name: str
    scopes: list[Scope]
    created_at_ms: int
    revoked_at_ms: int | None
    last_used_at_ms: int | None
    expires_at_ms: int | None


class IssuedApiKeyView(_View):
    key: ApiKeyView
    secret: str = Field(description="plz_<id>_<secret>: shown this once, never again")


class ApiKeyList(_View):
    items: list[ApiKeyView]


class OrderView(_View):
    id: str
    side: Side
    owner: str
    kind: str
    quantity: int
    remaining: int
    filled: int
    unit_price: int
    status: OrderStatus
    valid_from_ms: int
    valid_until_ms: int
    accepted_at_ms: int
    priority: int = Field(description="time priority within its price level, lower first")
    location: LocationModel | None
    attributes: dict[str, bool | int | str]
    requirements: RequirementsModel
    asset_id: str | None


class OrderList(_View):
    items: list[OrderView]


class AssetView(_View):
    id: str
    owner: str
    kind: str
    name: str
    status: AssetStatus
    location: LocationModel | None
    attributes: dict[str, bool | int | str]
    version: int = Field(description="1 when registered, one more per change: its twin's step")
    event: AssetEvent = Field(description="what made this state: registered, updated...")
    registered_at_ms: int
    updated_at_ms: int


class AssetList(_View):
    items: list[AssetView]


class AssetOutcomeView(_View):
    asset: AssetView
    replayed: bool = Field(description="a retry with the same Idempotency-Key: nothing new")


class SuggestionView(_View):
    order: OrderView
    quantity: int
    unit_price: int
    distance_km: float | None


class SuggestionList(_View):
    items: list[SuggestionView]


class ContractTermsView(_View):
    """Exactly the fields the marketplace signed (``plaza-contract-v1``, sorted-key JSON)."""

    contract_id: str
    kind: str
    offer_id: str
    request_id: str
    provider: str
    consumer: str
    quantity: int
    unit_price: int
    total: int
    policy: str
    matched_at_ms: int
    marketplace: str = Field(description="the signing key, hex")


class PaymentView(_View):
    message_id: str = Field(description="the ledger message of the payment, hex")
    amount: int


class SettlementView(_View):
    contract_id: str
    phase: str = Field(description="the seed's words: Contract created, ..., Fulfilled")
    updated_at_ms: int
    deadline_ms: int
    reminders: int
    payment: PaymentView | None
    version: int


class ContractView(_View):
    contract_id: str
    terms: ContractTermsView
    signature: str = Field(description="Ed25519 by the marketplace over the terms, hex")
    settlement: SettlementView | None


class ContractList(_View):
    items: list[ContractView]


class OrderOutcomeView(_View):
    order: OrderView
    contracts: list[ContractView]
    replayed: bool = Field(description="a retry with the same Idempotency-Key: nothing new")


class HubView(_View):
    id: str
    callback: str
    query: str = Field(description="as stored: the caller's query pinned to its own events")


class HubCreatedView(HubView):
    secret: str = Field(description="keys the HMAC of every delivery; shown this once")
