"""The telco API's wire shapes, in the TM Forum Open API v4 style (camelCase, ``@type``).

Requests forbid unknown fields (a misspelt one is a 400, not ignored); money is
a JSON integer of base units (``price.value``; ``unit`` is ``coin``); times are
ISO 8601 with a zone; a place is a ``geo:`` URI (RFC 5870,
``geo:45.07,7.69``) in the place's ``id``, as TMF639 v5 leaves places to
references. Views list every field as optional, because ``fields=`` may select
a few; ``id`` and ``href`` are always there.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, StrictStr

from plaza.telco.assets import AssetType

__all__ = [
    "CharacteristicIn",
    "HubIn",
    "HubView",
    "OfferingIn",
    "OrderIn",
    "OrderPatchIn",
    "PlaceRef",
    "PriceIn",
    "RequestIn",
    "ResourceIn",
    "TimePeriod",
    "View",
]

ID = Annotated[str, Field(pattern=r"^[A-Za-z0-9._:-]{1,128}$")]
GEO = r"^geo:-?[0-9]{1,2}(\.[0-9]{1,12})?,-?[0-9]{1,3}(\.[0-9]{1,12})?$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class View(BaseModel):
    """Any TMF view: ``fields=`` may have left out all but ``id`` and ``href``."""

    model_config = ConfigDict(extra="allow")

    id: str
    href: str


class Ref(_In):
    id: ID


class PlaceRef(_In):
    id: str = Field(pattern=GEO, description="a geo URI: geo:<latitude>,<longitude>")
    name: str | None = Field(default=None, max_length=128)
    role: str | None = Field(default=None, max_length=64)


class TimePeriod(_In):
    start: AwareDatetime = Field(alias="startDateTime")
    end: AwareDatetime = Field(alias="endDateTime")


class CharacteristicIn(_In):
    name: str = Field(min_length=1, max_length=64)
    value: StrictInt | StrictStr
    value_type: str | None = Field(default=None, alias="valueType", max_length=32)


class PriceIn(_In):
    value: StrictInt = Field(ge=0, description="base units")
    unit: Literal["coin"] = "coin"


class ResourceIn(_In):
    """A TMF639 resource create: a telco asset of the caller's."""

    name: str = Field(min_length=1, max_length=256)
    category: AssetType = Field(description="the asset type")
    place: PlaceRef
    resource_characteristic: list[CharacteristicIn] = Field(
        default_factory=list, alias="resourceCharacteristic", max_length=32
    )
    type_: Literal["Resource", "LogicalResource", "PhysicalResource"] | None = Field(
        default=None, alias="@type"
    )


class OfferingPriceIn(_In):
    price: PriceIn
    price_type: Literal["oneTime"] = Field(default="oneTime", alias="priceType")


class OfferingIn(_In):
    """A TMF620 product offering create: one asset's window at one price."""

    name: str | None = Field(default=None, max_length=256)
    resource: Ref = Field(description="the asset offered (a TMF639 resource id)")
    valid_for: TimePeriod = Field(alias="validFor")
    product_offering_price: list[OfferingPriceIn] = Field(
        alias="productOfferingPrice", min_length=1, max_length=1
    )


class RequestIn(_In):
    """A service provider's standing request (a Plaza extension beside TMF620's offerings):
    an asset type wanted within ``radiusKm`` of a place, for a window, at most a price."""

    category: AssetType
    place: PlaceRef
    radius_km: float = Field(alias="radiusKm", gt=0, le=20_038)
    valid_for: TimePeriod = Field(alias="validFor")
    max_price: PriceIn = Field(alias="maxPrice")
    required_characteristic: list[CharacteristicIn] = Field(
        default_factory=list, alias="requiredCharacteristic", max_length=32
    )


class OrderItemIn(_In):
    id: str = Field(min_length=1, max_length=64)
    action: Literal["add"]
    quantity: Literal[1] = 1
    product_offering: Ref = Field(alias="productOffering")


class PartyIn(_In):
    id: ID
    role: str = Field(min_length=1, max_length=64)
    referred_type: str | None = Field(default=None, alias="@referredType", max_length=64)


class PaymentRef(_In):
    id: str = Field(pattern=r"^[0-9a-f]{64}$", description="the hold's id (64 hex digits)")
    referred_type: Literal["HeldPayment"] | None = Field(default=None, alias="@referredType")


class OrderIn(_In):
    """A TMF622 product order create: one item, the offering chosen, and the request it
    comes from, placed by either's owner; the hold paying it (the service provider's order
    only); the orchestrator among the related parties if named (it must be the asset's)."""

    product_order_item: list[OrderItemIn] = Field(
        alias="productOrderItem", min_length=1, max_length=1
    )
    product_request: Ref = Field(alias="productRequest")
    related_party: list[PartyIn] = Field(default_factory=list, alias="relatedParty", max_length=8)
    payment: list[PaymentRef] = Field(default_factory=list, max_length=1)
    description: str | None = Field(default=None, max_length=1024)
    type_: Literal["ProductOrder"] | None = Field(default=None, alias="@type")


class OrderPatchIn(_In):
    """A merge-patch of an order's state: the other side confirms (``inProgress``, the
    service provider with its hold in ``payment``) or declines (``rejected``) an
    acknowledged order, the side that placed it withdraws it (``cancelled``), the
    orchestrator reports access configured (``inProgress``) or the asset failed
    (``failed``)."""

    state: Literal["cancelled", "inProgress", "failed", "rejected"]
    payment: list[PaymentRef] = Field(default_factory=list, max_length=1)


class CancelIn(_In):
    """A TMF622 cancelProductOrder create."""

    product_order: Ref = Field(alias="productOrder")
    cancellation_reason: str | None = Field(
        default=None, alias="cancellationReason", max_length=512
    )


class HubIn(_In):
    callback: str = Field(min_length=1, max_length=2048, description="absolute http(s) URL")
    query: str = Field(default="", max_length=2048)


class HubView(BaseModel):
    id: str
    callback: str
    query: str


def json_of(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(by_alias=True, exclude_none=True)
