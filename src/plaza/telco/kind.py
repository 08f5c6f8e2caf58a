"""The telco kinds, one per asset type, as the market applies them.

An offer rents one asset for its whole window at one price, and a request buys
one asset's window: ``quantity`` is always 1 and ``unit_price`` is the price of
the window (the most a request pays). The kinds trade under the ``manual``
policy: the book never matches them by itself, as the seed's marketplace did; an
offer or request gets its suggestions when created, and an order is placed from
one (``plaza.verticals.telco``). An offer names its asset and stands where the
asset is; a request names the place it needs covered and the radius around it.
A window is at most :data:`MAX_WINDOW_MS`, so the payment held for it fits in a
ledger hold (at most 90 days).
"""

from __future__ import annotations

from plaza.market.errors import InvalidAsset, InvalidOrder
from plaza.market.kinds import KindRules
from plaza.market.model import NewAsset, NewOrder, Side
from plaza.telco.assets import AssetType, InvalidTelcoAsset, check_attributes, check_value, kind_of

__all__ = ["KINDS", "MAX_WINDOW_MS", "TelcoKind"]

DAY_MS = 86_400_000
#: The longest window: a hold lasts at most 90 days, and is issued before its window starts.
MAX_WINDOW_MS = 60 * DAY_MS


class TelcoKind(KindRules):
    """One asset type's rules: its attributes, one window per order, offers at their asset."""

    policy = "manual"

    def __init__(self, asset_type: AssetType) -> None:
        self.asset_type = asset_type
        self.kind = kind_of(asset_type)

    def check_asset(self, spec: NewAsset) -> None:
        if spec.location is None:
            raise InvalidAsset("an asset gives its location (latitude and longitude)")
        try:
            check_attributes(self.asset_type, dict(spec.attributes))
        except InvalidTelcoAsset as error:
            raise InvalidAsset(str(error)) from None

    def check_order(self, spec: NewOrder) -> None:
        if spec.quantity != 1:
            raise InvalidOrder("quantity is 1: an order is one asset's whole window")
        if spec.valid_until_ms - spec.valid_from_ms > MAX_WINDOW_MS:
            raise InvalidOrder(f"a window lasts at most {MAX_WINDOW_MS // DAY_MS} days")
        if spec.location is None:
            raise InvalidOrder("an order gives its place (latitude and longitude)")
        if spec.side is Side.OFFER and spec.asset_id is None:
            raise InvalidOrder("an offer names the asset it rents")
        if spec.side is Side.REQUEST and spec.requirements.max_distance_km is None:
            raise InvalidOrder("a request gives the radius around its place (max_distance_km)")
        try:
            for name, value in spec.requirements.attributes:
                check_value(self.asset_type, name, value)
        except InvalidTelcoAsset as error:
            raise InvalidOrder(str(error)) from None

    def contract_value(self, quantity: int, unit_price: int) -> int:
        return quantity * unit_price


#: Every telco kind, one per asset type.
KINDS: tuple[TelcoKind, ...] = tuple(TelcoKind(asset_type) for asset_type in AssetType)
