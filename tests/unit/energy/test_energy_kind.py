"""Energy's kind on the one market: the seed's units and bounds, its price rounded up."""

from __future__ import annotations

import pytest

from plaza.energy.kind import ENERGY
from plaza.energy.model import MAX_ENERGY_WH, MAX_PRICE, contract_value
from plaza.market.book.memory import MemoryBookStore
from plaza.market.book.service import BidManager
from plaza.market.errors import InvalidOrder
from plaza.market.kinds import Kinds
from plaza.market.model import NewOrder, Side, attributes
from plaza.testing import FakeClock

HOUR_MS = 3_600_000


def energy(side: Side, owner: str, wh: int, price: int, **attrs: object) -> NewOrder:
    now = FakeClock().now_ms()
    return NewOrder(
        side, owner, "energy", wh, price, now, now + HOUR_MS, attributes=attributes(attrs)
    )


@pytest.mark.parametrize(
    ("order", "reason"),
    [
        (energy(Side.OFFER, "solar", MAX_ENERGY_WH + 1, 250), "quantity is watt-hours"),
        (energy(Side.OFFER, "solar", 3000, MAX_PRICE + 1), "unit_price is base units per kWh"),
        (energy(Side.OFFER, "solar", 3000, 250, green="yes"), "'green' must be true or false"),
    ],
)
def test_energy_orders_keep_the_seeds_bounds(order: NewOrder, reason: str) -> None:
    book = BidManager(MemoryBookStore(), clock=FakeClock(), kinds=Kinds([ENERGY]))
    with pytest.raises(InvalidOrder) as refused:
        book.submit_order(order)
    assert refused.value.reason.startswith("energy: ")
    assert reason in refused.value.reason
    assert book.orders() == []


def test_energy_trades_one_to_one_at_the_seeds_rounded_up_value() -> None:
    book = BidManager(MemoryBookStore(), clock=FakeClock(), policy="cda", kinds=Kinds([ENERGY]))
    book.submit_order(energy(Side.OFFER, "solar", 3001, 250, green=True))
    [match] = book.submit_order(energy(Side.REQUEST, "ev", 3001, 300)).matches
    assert match.policy == "one_to_one"
    assert Kinds([ENERGY]).contract_value(match) == contract_value(3001, 250) == 751
