"""Orders, assets and their validation: what the book refuses before anything changes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from market_support import START_MS, offer, request

from plaza.market import (
    NO_REQUIREMENTS,
    Asset,
    InvalidAsset,
    InvalidOrder,
    Location,
    Order,
    OrderStatus,
    Requirements,
    attributes,
)
from plaza.market.model import MAX_AMOUNT, check_asset, check_new_order


def test_attributes_are_sorted_pairs() -> None:
    assert attributes({"quality": 3, "green": True}) == (("green", True), ("quality", 3))
    assert attributes() == ()


def test_a_valid_order_passes_and_is_accepted_active_and_unfilled() -> None:
    spec = offer(location=Location(52.5, 13.4), attrs={"green": True})
    check_new_order(spec, START_MS)
    order = Order.accept(spec, order_id="ord-1", priority=7, at_ms=START_MS)
    assert (order.status, order.remaining, order.filled, order.priority) == (
        OrderStatus.ACTIVE,
        spec.quantity,
        0,
        7,
    )
    assert order.spec == spec


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": 1.5}, "integer"),
        ({"quantity": True}, "integer"),
        ({"unit_price": -1}, "unit_price"),
        ({"unit_price": 0.15}, "never a float"),
        ({"quantity": MAX_AMOUNT, "unit_price": 2}, "exceeds"),
        ({"owner": ""}, "owner"),
        ({"kind": "Energy!"}, "kind"),
        ({"valid_until_ms": START_MS - 1}, "before"),
        ({"valid_from_ms": START_MS - 10, "valid_until_ms": START_MS}, "ended"),
        ({"location": Location(91.0, 0.0)}, "latitude"),
        ({"location": Location(float("nan"), 0.0)}, "latitude"),
        ({"attributes": (("quality", 1), ("green", True))}, "sorted"),
        ({"attributes": (("green", 1.5),)}, "string, integer or boolean"),
        ({"requirements": Requirements(min_quality=True)}, "min_quality"),  # type: ignore[arg-type]
        ({"requirements": Requirements(max_distance_km=0.0)}, "max_distance_km"),
        ({"requirements": Requirements(partners=("",))}, "partner"),
    ],
)
def test_invalid_orders_are_refused_with_the_reason(change: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidOrder, match=reason) as caught:
        check_new_order(replace(request(), **change), START_MS)  # type: ignore[arg-type]
    assert caught.value.code == "invalid_order"


def test_requirements_default_is_empty() -> None:
    assert Requirements().is_empty
    assert NO_REQUIREMENTS.is_empty
    assert not Requirements(partners=("ann",)).is_empty


def test_assets_are_checked() -> None:
    check_asset(Asset("a-1", "alice", "energy", "roof panel", Location(52.5, 13.4)))
    with pytest.raises(InvalidAsset, match="kind"):
        check_asset(Asset("a-1", "alice", "Solar Panel", "roof panel"))
    with pytest.raises(InvalidAsset, match="name"):
        check_asset(Asset("a-1", "alice", "energy", ""))
