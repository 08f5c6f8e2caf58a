"""Both order stores keep the same contract: an order by id and by its hold, one order per
hold, every step kept; the SQLite one across a reopening."""

from __future__ import annotations

import json
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


def _proposed(order_id: str) -> ProductOrder:
    """The asset provider's order: no hold until the service provider confirms it."""
    order = ProductOrder(
        order_id,
        "ord-1",
        "ord-2",
        "",
        "ast-1",
        "sp",
        "op",
        "orch",
        Window(10 * HOUR, 12 * HOUR),
        1000,
        "",
    )
    return order.placed(HOUR, "op")


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
    confirmed = order.confirm("op", HOUR + 1, "m-1")
    settled = confirmed.access_configured("orch", 11 * HOUR).settled_by("ef" * 32, "", 2)
    assert (settled.steps[2].to_payee, settled.steps[2].part) == (500, True)
    store.save(settled)
    assert store.get("m-1") == settled
    assert store.all() == [settled]


def test_an_order_without_a_hold_gets_its_hold_when_the_customer_confirms(
    store: OrderStore,
) -> None:
    first = _proposed("m-1")
    second = _proposed("m-2")  # two orders without a hold yet: neither takes the other's place
    assert store.add(first) == first
    assert store.add(second) == second
    assert store.by_hold("") is None
    confirmed = first.confirm("sp", HOUR + 1, "m-1", "cd" * 32)
    store.save(confirmed)
    assert store.by_hold("cd" * 32) == store.get("m-1") == confirmed
    assert store.add(_order("m-3", "cd" * 32)) == confirmed  # the hold pays one order
    assert sorted(o.id for o in store.all()) == ["m-1", "m-2"]


def test_the_sqlite_store_keeps_its_orders_across_a_reopening(tmp_path: Path) -> None:
    first = SqliteOrderStore(tmp_path / "telco.sqlite")
    cancelled = first.add(_order()).cancel("sp", 2 * HOUR).settled_by("01" * 32)
    first.add(_proposed("m-2"))
    first.save(cancelled)
    first.close()
    again = SqliteOrderStore(tmp_path / "telco.sqlite")
    assert again.get("m-1") == cancelled
    assert again.get("m-2") == _proposed("m-2")
    again.close()


@given(
    st.lists(st.sampled_from(["confirm", "cancel", "configure", "fail", "due"]), max_size=5),
    st.integers(0, 14 * HOUR),
)
def test_an_order_reads_back_as_it_was_written(actions: list[str], at: int) -> None:
    order = _order()
    for action in actions:
        try:
            order = {
                "confirm": lambda o: o.confirm("op", at, "c-1"),
                "cancel": lambda o: o.cancel("sp", at, in_flight=True),
                "configure": lambda o: o.access_configured("orch", at),
                "fail": lambda o: o.asset_failed("orch", at),
                "due": lambda o: o.due(at) or o,
            }[action](order)
        except OrderRefused:  # a refused step leaves the order as it was
            continue
    assert decode_order(encode_order(order)) == order


def test_a_step_stored_before_part_payments_reads_as_it_was() -> None:
    stored = encode_order(_order().cancel("sp", 2 * HOUR).settled_by("01" * 32))
    body = json.loads(stored)
    body["steps"] = [fields[:8] for fields in body["steps"]]  # no ``part`` field yet
    old = decode_order(json.dumps(body))
    assert old == decode_order(stored)
    assert [step.part for step in old.steps] == [False, False]
