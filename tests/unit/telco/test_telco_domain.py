"""The telco vertical's domain: asset types and their attributes, the kinds' rules, orders'
states and what the held payment pays at each end."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaza.market.errors import InvalidAsset, InvalidOrder
from plaza.market.model import (
    AttributeValue,
    Location,
    NewAsset,
    NewOrder,
    Requirements,
    attributes,
)
from plaza.telco.assets import (
    AssetType,
    InvalidTelcoAsset,
    asset_type_of,
    check_attributes,
    kind_of,
)
from plaza.telco.kind import KINDS, MAX_WINDOW_MS, TelcoKind
from plaza.telco.orders import OrderRefused, OrderState, ProductOrder, pro_rata
from plaza.telco.terms import Offer, Request, Window

TURIN = Location(45.07, 7.69)
HOUR = 3_600_000
CELL: dict[str, AttributeValue] = {"technology": "5G", "bands": "n78,n1", "capacity_mbps": 900}


def test_each_type_is_a_kind_of_its_own() -> None:
    assert kind_of(AssetType.FIBRE) == "telco:fibre"
    assert asset_type_of("telco:fibre") is AssetType.FIBRE
    assert asset_type_of("telco:moon") is None
    assert asset_type_of("energy") is None
    assert sorted(spec.kind for spec in KINDS) == sorted(kind_of(t) for t in AssetType)
    assert all(spec.policy == "manual" for spec in KINDS)


@pytest.mark.parametrize(
    ("asset_type", "values"),
    [
        (AssetType.CELL_SITE, CELL),
        (AssetType.SMALL_CELL, {**CELL, "city": "Turin"}),
        (AssetType.DRONE_CELL, {"technology": "4G", "capacity_mbps": 50, "flight_minutes": 40}),
        (AssetType.FIBRE, {"bandwidth_mbps": 10_000, "endpoint_a": "TO-1", "endpoint_b": "MI-2"}),
        (AssetType.SPECTRUM, {"band": "n78", "frequency_mhz": 3500, "width_mhz": 100}),
        (AssetType.EDGE_COMPUTE, {"vcpus": 64, "memory_gb": 256}),
    ],
)
def test_each_type_accepts_its_own_fields(
    asset_type: AssetType, values: dict[str, AttributeValue]
) -> None:
    check_attributes(asset_type, values)
    spec = NewAsset("op", kind_of(asset_type), "one", TURIN, attributes(values))
    TelcoKind(asset_type).check_asset(spec)


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"bands": "n78", "capacity_mbps": 9}, "must give technology"),
        ({**CELL, "technology": "6G"}, "technology must be one of"),
        ({**CELL, "capacity_mbps": 0}, "capacity_mbps must be 1 to"),
        ({**CELL, "capacity_mbps": "fast"}, "capacity_mbps must be an integer"),
        ({**CELL, "bands": "n78;DROP"}, "bands must match"),
        ({**CELL, "width_mhz": 5}, "has no 'width_mhz'"),
    ],
)
def test_a_cell_site_refuses_what_it_could_not_be(
    values: dict[str, AttributeValue], complaint: str
) -> None:
    with pytest.raises(InvalidTelcoAsset, match=complaint):
        check_attributes(AssetType.CELL_SITE, values)
    spec = NewAsset("op", "telco:cell_site", "x", TURIN, attributes(values))
    with pytest.raises(InvalidAsset, match=complaint):
        TelcoKind(AssetType.CELL_SITE).check_asset(spec)


def test_an_asset_has_a_place() -> None:
    spec = NewAsset("op", "telco:cell_site", "x", None, attributes(CELL))
    with pytest.raises(InvalidAsset, match="location"):
        TelcoKind(AssetType.CELL_SITE).check_asset(spec)


def _offer(**changes: Any) -> NewOrder:
    offer = Offer("op", "asset-1", AssetType.CELL_SITE, TURIN, Window(0, HOUR), 500).order()
    return replace(offer, **changes)


def _request(**changes: Any) -> NewOrder:
    wanted = attributes({"technology": "5G"})
    request = Request("sp", AssetType.CELL_SITE, TURIN, 5.0, Window(0, HOUR), 600, wanted)
    return replace(request.order(), **changes)


def test_offers_and_requests_keep_the_kinds_rules() -> None:
    kind = TelcoKind(AssetType.CELL_SITE)
    kind.check_order(_offer())
    kind.check_order(_request())
    refusals = [
        (_offer(quantity=2), "quantity is 1"),
        (_offer(asset_id=None), "names the asset"),
        (_offer(location=None), "its place"),
        (_offer(valid_until_ms=MAX_WINDOW_MS + 1), "at most 60 days"),
        (_request(requirements=Requirements()), "radius"),
        (
            _request(requirements=Requirements(attributes({"technology": "6G"}), None, (), 5.0)),
            "technology must be one of",
        ),
    ]
    for order, complaint in refusals:
        with pytest.raises(InvalidOrder, match=complaint):
            kind.check_order(order)
    assert kind.contract_value(1, 500) == 500


def _order(start: int = 10 * HOUR, end: int = 12 * HOUR, price: int = 1000) -> ProductOrder:
    order = ProductOrder(
        "o1", "off", "req", "c1", "a1", "sp", "op", "orch", Window(start, end), price, "ab" * 32
    )
    return order.placed(0)


def test_a_cancellation_before_the_window_refunds_in_full() -> None:
    cancelled = _order().cancel("sp", 5 * HOUR)
    assert cancelled.state is OrderState.CANCELLED
    assert cancelled.steps[-1].to_payee == 0
    with pytest.raises(OrderRefused, match="only the service provider") as refused:
        _order().cancel("op", 5 * HOUR)
    assert refused.value.status == 403
    with pytest.raises(OrderRefused, match="too late") as late:
        _order().cancel("sp", 10 * HOUR)
    assert late.value.status == 409
    with pytest.raises(OrderRefused, match="cancelled: it cannot be cancelled"):
        cancelled.cancel("sp", 6 * HOUR)


def test_access_configured_pays_in_full_and_the_window_completes_it() -> None:
    configured = _order().access_configured("orch", 9 * HOUR)
    assert (configured.state, configured.steps[-1].to_payee) == (OrderState.IN_PROGRESS, 1000)
    assert configured.due(11 * HOUR) is None
    completed = configured.due(12 * HOUR)
    assert completed is not None
    assert completed.state is OrderState.COMPLETED
    assert completed.steps[-1].to_payee is None
    assert completed.paid_out
    with pytest.raises(OrderRefused, match="orchestrator"):
        _order().access_configured("sp", 9 * HOUR)
    with pytest.raises(OrderRefused, match="cannot be cancelled"):
        configured.cancel("sp", 9 * HOUR)


def test_an_unreported_window_pays_in_full_when_it_starts() -> None:
    assert _order().due(9 * HOUR) is None
    started = _order().due(10 * HOUR)
    assert started is not None
    assert (started.state, started.steps[-1].to_payee) == (OrderState.IN_PROGRESS, 1000)


def test_time_waits_the_grace_for_a_report_from_delivery_start() -> None:
    assert _order().due(10 * HOUR + 4_999, grace_ms=5_000) is None
    assert _order().due(10 * HOUR + 5_000, grace_ms=5_000) is not None
    running = ProductOrder(
        "o2", "off", "req", "c2", "a1", "sp", "op", "orch", Window(0, 4 * HOUR), 1000, "cd" * 32
    ).placed(HOUR)  # placed in a window already running: delivery starts at the placing
    assert running.release_at(5_000) == HOUR + 5_000
    assert running.due(HOUR + 4_999, grace_ms=5_000) is None
    failed = running.asset_failed("orch", HOUR + 1_000)  # within the grace: the hold is open
    assert failed.steps[-1].to_payee == pro_rata(1000, running.window, HOUR + 1_000)


def test_a_report_after_a_timed_release_is_recorded_and_pays_nothing_more() -> None:
    started = _order().due(10 * HOUR)
    assert started is not None
    configured = started.access_configured("orch", 10 * HOUR + 1)
    assert configured.steps[-1].event == "accessConfigured"
    assert configured.steps[-1].to_payee is None
    assert configured.closing == started.closing
    with pytest.raises(OrderRefused, match="inProgress: it cannot be configured"):
        configured.access_configured("orch", 10 * HOUR + 2)
    failed = configured.asset_failed("orch", 11 * HOUR)
    assert (failed.state, failed.steps[-1].to_payee) == (OrderState.FAILED, None)
    assert [step.to_payee for step in failed.steps if step.to_payee is not None] == [1000]


def test_a_failure_while_the_hold_is_open_pays_the_share_before_it() -> None:
    failed = _order().asset_failed("orch", 10 * HOUR + HOUR // 2)
    assert (failed.state, failed.steps[-1].to_payee) == (OrderState.FAILED, 250)
    early = _order().asset_failed("orch", 9 * HOUR)  # before the window: a full refund
    assert (early.state, early.steps[-1].to_payee) == (OrderState.FAILED, 0)
    with pytest.raises(OrderRefused, match="before the window ends"):
        _order().asset_failed("orch", 12 * HOUR)
    with pytest.raises(OrderRefused, match="orchestrator"):
        _order().asset_failed("sp", 11 * HOUR)
    assert failed.due(13 * HOUR) is None


@given(
    price=st.integers(0, 2**62),
    start=st.integers(0, 10**12),
    length=st.integers(1, MAX_WINDOW_MS),
    at=st.integers(-(10**12), 2 * 10**12),
)
def test_pro_rata_is_a_share_growing_with_time(
    price: int, start: int, length: int, at: int
) -> None:
    window = Window(start, start + length)
    share = pro_rata(price, window, at)
    assert 0 <= share <= price
    assert pro_rata(price, window, at + 1) >= share
    assert pro_rata(price, window, start) == 0
    assert pro_rata(price, window, start + length) == price


@given(
    st.lists(st.sampled_from(["cancel", "configure", "fail", "due"]), max_size=6),
    st.lists(st.integers(0, 14 * HOUR), min_size=6, max_size=6),
)
def test_the_hold_is_closed_at_most_once(actions: list[str], times: list[int]) -> None:
    order = _order()
    for action, at in zip(actions, sorted(times), strict=False):
        try:
            if action == "cancel":
                order = order.cancel("sp", at)
            elif action == "configure":
                order = order.access_configured("orch", at)
            elif action == "fail":
                order = order.asset_failed("orch", at)
            else:
                order = order.due(at) or order
        except OrderRefused:
            continue
    closing = [step for step in order.steps if step.to_payee is not None]
    assert len(closing) <= 1
    assert all(0 <= (step.to_payee or 0) <= order.price for step in closing)
