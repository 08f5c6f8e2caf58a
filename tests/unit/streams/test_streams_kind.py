"""The ``stream`` kind's rules and price, as the market applies them, and a sensor's sales."""

from __future__ import annotations

import pytest

from plaza.crypto import Address
from plaza.ledger.model import ConfirmationState, Conflict
from plaza.ledger.ports import Movement
from plaza.market.errors import InvalidOrder
from plaza.market.model import NewOrder, Requirements, Side, attributes
from plaza.streams.catalog import Sales
from plaza.streams.kind import CHANNEL, STREAM

CHANNEL_ID = "ab" * 32


def _order(side: Side, quantity: int = 3600, **values: str) -> NewOrder:
    return NewOrder(side, "someone", "stream", quantity, 600, 0, 1, attributes=attributes(values))


def test_an_offer_names_its_sensors_channel() -> None:
    STREAM.check_order(_order(Side.OFFER, channel=CHANNEL_ID))
    STREAM.check_order(_order(Side.REQUEST))
    with pytest.raises(InvalidOrder, match="names its sensor's channel"):
        STREAM.check_order(_order(Side.OFFER))
    with pytest.raises(InvalidOrder, match="64 lower-case hex"):
        STREAM.check_order(_order(Side.OFFER, channel="AB" * 32))


def test_a_request_may_require_a_channel_and_it_must_be_one() -> None:
    wanted = Requirements(attributes=attributes({CHANNEL: "nope"}))
    order = NewOrder(Side.REQUEST, "b", "stream", 60, 1, 0, 1, requirements=wanted)
    with pytest.raises(InvalidOrder, match="channel id"):
        STREAM.check_order(order)


def test_at_most_ten_years_of_access() -> None:
    with pytest.raises(InvalidOrder, match="seconds of access"):
        STREAM.check_order(_order(Side.REQUEST, quantity=400 * 86_400 * 10))


def test_a_contract_costs_the_hours_bought_rounded_up() -> None:
    assert STREAM.contract_value(3600, 600) == 600
    assert STREAM.contract_value(5400, 600) == 900
    assert STREAM.contract_value(1, 600) == 1
    assert STREAM.policy == "one_to_one"


def test_sales_count_what_the_ledger_confirmed_and_applied() -> None:
    address = Address(b"\x01" * 32)

    def move(delta: int, state: ConfirmationState, conflict: Conflict = Conflict.NONE) -> Movement:
        return Movement(b"m" * 32, address, delta, 0, 1, state, conflict)

    sales = Sales.of(
        [
            move(150, ConfirmationState.CONFIRMED),
            move(10, ConfirmationState.CONFIRMED),
            move(-10, ConfirmationState.CONFIRMED),  # a refund
            move(500, ConfirmationState.PENDING),
            move(70, ConfirmationState.CONFLICTING, Conflict.INSUFFICIENT_FUNDS),
        ]
    )
    assert (sales.payments, sales.received, sales.refunded, sales.revenue) == (2, 160, 10, 150)
