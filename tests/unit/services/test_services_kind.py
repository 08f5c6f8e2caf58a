"""The ``service`` kind's rules, as the market applies them, and the vertical's declaration."""

from __future__ import annotations

import pytest

from plaza.market.errors import InvalidOrder
from plaza.market.model import NewOrder, Requirements, Side, attributes
from plaza.services.kind import SERVICE
from plaza.verticals import registry


def _order(side: Side, quantity: int = 10, **values: str) -> NewOrder:
    return NewOrder(side, "someone", "service", quantity, 25, 0, 1, attributes=attributes(values))


def test_an_offer_names_its_service_and_may_name_its_channel() -> None:
    SERVICE.check_order(_order(Side.OFFER, service="weather", channel="ab" * 32))
    SERVICE.check_order(_order(Side.REQUEST))
    with pytest.raises(InvalidOrder, match="names its service"):
        SERVICE.check_order(_order(Side.OFFER))
    with pytest.raises(InvalidOrder, match="service name matching"):
        SERVICE.check_order(_order(Side.OFFER, service="Weather!"))
    with pytest.raises(InvalidOrder, match="64 lower-case hex"):
        SERVICE.check_order(_order(Side.OFFER, service="weather", channel="AB" * 32))


def test_a_request_may_require_a_service_and_it_must_be_one() -> None:
    wanted = Requirements(attributes=attributes({"service": "no such name"}))
    order = NewOrder(Side.REQUEST, "b", "service", 1, 25, 0, 1, requirements=wanted)
    with pytest.raises(InvalidOrder, match="service name"):
        SERVICE.check_order(order)
    with pytest.raises(InvalidOrder, match="number of calls"):
        SERVICE.check_order(_order(Side.REQUEST, quantity=10**7))
    assert SERVICE.contract_value(10, 25) == 250


def test_the_service_vertical_is_installed_with_its_kind_and_commands() -> None:
    vertical = registry.get("service")
    assert vertical is not None
    assert [spec.kind for spec in vertical.kinds] == ["service"]
    assert registry.units()["service"].show_price(25) == "25 coins per call"
    assert SERVICE.policy == "manual"  # calls are paid by holds, not by contracts
    assert dict(registry.commands())["service"] is vertical.commands
