"""Both order stores keep the same contract: an order by id and by its hold, one order per
hold, every step kept; the SQLite one across a reopening."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaza.telco.codec import decode_order, encode_order
from plaza.telco.orders import OrderRefused, ProductOrder
from plaza.telco.sqlite_store import SqliteOrderStore
from plaza.telco.store import MemoryOrderStore, OrderStore
from plaza.telco.terms import Window

HOUR = 3_600_000


def _order(order_id: str = "m-1", hold: str = "ab" * 32) -> ProductOrder:
    order = ProductOrder(
        order_id,
        "ord-1",
        "ord-2",
        order_id,
        "ast-1",
        "sp",
        "op",
        "orch",
        Window(10 * HOUR, 12 * HOUR),
        1000,
        hold,
    )
    return order.placed(HOUR)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OrderStore]:
    if request.param == "memory":
        yield MemoryOrderStore()
        return
    sqlite = SqliteOrderStore(tmp_path / "telco.sqlite")
    yield sqlite
    sqlite.close()


def test_an_order_is_kept_by_id_and_by_hold_once(store: OrderStore) -> None:
    order = _order()
    assert store.add(order) == order
    assert store.add(_order("m-2")) == order  # the same hold pays one order
    assert store.get("m-1") == store.by_hold("ab" * 32) == order
    assert store.get("m-2") is None
    assert store.by_hold("cd" * 32) is None
    settled = order.access_configured("orch", 2 * HOUR).settled_by("ef" * 32)
    store.save(settled)
    assert store.get("m-1") == settled
    assert store.all() == [settled]


def test_the_sqlite_store_keeps_its_orders_across_a_reopening(tmp_path: Path) -> None:
    first = SqliteOrderStore(tmp_path / "telco.sqlite")
    cancelled = first.add(_order()).cancel("sp", 2 * HOUR).settled_by("01" * 32)
    first.save(cancelled)
    first.close()
    again = SqliteOrderStore(tmp_path / "telco.sqlite")
    assert again.get("m-1") == cancelled
    again.close()


@given(
    st.lists(st.sampled_from(["cancel", "configure", "fail", "due"]), max_size=4),
    st.integers(0, 14 * HOUR),
)
def test_an_order_reads_back_as_it_was_written(actions: list[str], at: int) -> None:
    order = _order()
    for action in actions:
        try:
            order = {
                "cancel": lambda o: o.cancel("sp", at),
                "configure": lambda o: o.access_configured("orch", at),
                "fail": lambda o: o.asset_failed("orch", at),
                "due": lambda o: o.due(at) or o,
            }[action](order)
        except OrderRefused:  # a refused step leaves the order as it was
            continue
    assert decode_order(encode_order(order)) == order
