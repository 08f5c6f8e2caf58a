"""The telco vertical's domain: asset types and their attributes, the kinds' rules, orders'
states and what the held payment pays at each end."""

from __future__ import annotations

from collections.abc import Callable
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
from plaza.telco.slices import SETTLE_LEAD_MS, SLICES, rest_due_at
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


def _placed(start: int = 10 * HOUR, end: int = 12 * HOUR, price: int = 1000) -> ProductOrder:
    """The service provider's order, its hold with it, waiting for the seller."""
    order = ProductOrder(
        "o1", "off", "req", "", "a1", "sp", "op", "orch", Window(start, end), price, "ab" * 32
    )
    return order.placed(0)


def _order(start: int = 10 * HOUR, end: int = 12 * HOUR, price: int = 1000) -> ProductOrder:
    """The service provider's order, confirmed by the seller."""
    return _placed(start, end, price).confirm("op", 1, "c1")


def _proposed() -> ProductOrder:
    """The asset provider's order from its offer: no hold until the customer confirms."""
    order = ProductOrder(
        "o3", "off", "req", "", "a1", "sp", "op", "orch", Window(10 * HOUR, 12 * HOUR), 1000, ""
    )
    return order.placed(0, "op")


def _refused(status: int, match: str, step: Callable[[], object]) -> None:
    with pytest.raises(OrderRefused, match=match) as refused:
        step()
    assert refused.value.status == status


def test_either_side_places_an_order_and_only_the_other_confirms_it_once() -> None:
    placed = _placed()
    assert (placed.state, placed.placed_by, placed.awaiting) == (
        OrderState.ACKNOWLEDGED,
        "sp",
        "op",
    )
    _refused(403, "only the other side", lambda: placed.confirm("sp", 1, "c1"))
    _refused(403, "only the other side", lambda: placed.confirm("orch", 1, "c1"))
    _refused(422, "carries no hold", lambda: placed.confirm("op", 1, "c1", "cd" * 32))
    _refused(409, "too late", lambda: placed.confirm("op", 12 * HOUR, "c1"))
    confirmed = placed.confirm("op", 1, "c1")
    assert (confirmed.state, confirmed.contract_id, confirmed.awaiting) == (
        OrderState.IN_PROGRESS,
        "c1",
        "",
    )
    assert not confirmed.paid_out  # held until delivery
    _refused(409, "inProgress: it cannot be confirmed", lambda: confirmed.confirm("op", 2, "c1"))

    proposed = _proposed()
    assert (proposed.placed_by, proposed.awaiting, proposed.hold_id) == ("op", "sp", "")
    _refused(403, "only the other side", lambda: proposed.confirm("op", 1, "c1"))
    _refused(422, "confirms with its hold", lambda: proposed.confirm("sp", 1, "c1"))
    taken = proposed.confirm("sp", 1, "c1", "cd" * 32)
    assert (taken.state, taken.hold_id) == (OrderState.IN_PROGRESS, "cd" * 32)


def test_who_places_and_what_payment_comes_with_it() -> None:
    bare = ProductOrder("o", "off", "req", "", "a1", "sp", "op", "orch", Window(0, HOUR), 10, "")
    _refused(422, "carries its hold", lambda: bare.placed(0))  # the customer's needs its hold
    _refused(403, "customer or seller", lambda: bare.placed(0, "orch"))
    held = replace(bare, hold_id="ab" * 32)
    _refused(422, "carries none", lambda: held.placed(0, "op"))


def test_the_other_side_declines_and_the_placer_withdraws() -> None:
    rejected = _placed().reject("op", 5)
    assert (rejected.state, rejected.steps[-1].to_payee) == (OrderState.REJECTED, 0)  # refund
    _refused(403, "only the other side", lambda: _placed().reject("sp", 5))
    declined = _proposed().reject("sp", 5)
    assert (declined.state, declined.paid_out) == (OrderState.REJECTED, False)  # no hold
    withdrawn = _proposed().cancel("op", 5)
    assert (withdrawn.state, withdrawn.paid_out) == (OrderState.CANCELLED, False)
    _refused(403, "only the side that placed it", lambda: _proposed().cancel("sp", 5))
    _refused(409, "cannot be rejected", lambda: _order().reject("op", 5))


def test_an_unconfirmed_order_is_never_delivered_and_lapses_with_its_window() -> None:
    assert _placed().due(10 * HOUR) is None  # no release without the seller's confirmation
    _refused(409, "cannot be configured", lambda: _placed().access_configured("orch", 10 * HOUR))
    _refused(409, "cannot be failed", lambda: _placed().asset_failed("orch", 10 * HOUR))
    lapsed = _placed().due(12 * HOUR)
    assert lapsed is not None
    assert (lapsed.state, lapsed.steps[-1].event, lapsed.steps[-1].to_payee) == (
        OrderState.REJECTED,
        "lapsed",
        0,
    )


def test_a_cancellation_before_the_window_refunds_in_full() -> None:
    withdrawn = _placed().cancel("sp", 5 * HOUR)  # unconfirmed: TMF's PATCH while acknowledged
    assert (withdrawn.state, withdrawn.steps[-1].to_payee) == (OrderState.CANCELLED, 0)
    confirmed = _order()
    _refused(409, "inProgress: it cannot be cancelled", lambda: confirmed.cancel("sp", 5 * HOUR))
    cancelled = confirmed.cancel("sp", 5 * HOUR, in_flight=True)  # cancelProductOrder
    assert (cancelled.state, cancelled.steps[-1].to_payee) == (OrderState.CANCELLED, 0)
    _refused(403, "only the customer", lambda: confirmed.cancel("op", 5 * HOUR, in_flight=True))
    _refused(409, "too late", lambda: confirmed.cancel("sp", 10 * HOUR, in_flight=True))
    _refused(409, "cancelled: it cannot be cancelled", lambda: cancelled.cancel("sp", 6 * HOUR))


def _stepped(order: ProductOrder, *times: int) -> ProductOrder:
    """The order after time's steps at each of ``times`` (one step at most each)."""
    for at in times:
        order = order.due(at) or order
    return order


def test_access_configured_starts_delivery_paid_in_arrears_and_the_window_completes_it() -> None:
    _refused(409, "in the window", lambda: _order().access_configured("orch", 9 * HOUR))
    configured = _order().access_configured("orch", 10 * HOUR)  # at the start: nothing served
    assert (configured.state, configured.steps[-1].to_payee) == (OrderState.IN_PROGRESS, None)
    assert configured.delivering
    assert not configured.paid_out  # the hold stays open while the window is served
    late = _order().access_configured("orch", 10 * HOUR + HOUR // 2)  # a quarter served
    last = late.steps[-1]
    assert (last.event, last.to_payee, last.part) == ("accessConfigured", 250, True)
    assert (late.paid, late.paid_out) == (250, False)
    assert late.due(10 * HOUR + HOUR // 2 + 1) is None  # the same slice: nothing more yet
    _refused(403, "orchestrator", lambda: _order().access_configured("sp", 10 * HOUR))
    _refused(409, "too late", lambda: configured.cancel("sp", 9 * HOUR, in_flight=True))


def test_each_slice_served_is_paid_and_the_rest_before_the_window_ends() -> None:
    slice_ms = 2 * HOUR // SLICES  # 12 minutes of the 2-hour window
    configured = _order().access_configured("orch", 10 * HOUR)
    first = configured.due(10 * HOUR + slice_ms)
    assert first is not None
    step = first.steps[-1]
    assert (step.event, step.to_payee, step.part) == ("slicePaid", 100, True)
    assert first.due(10 * HOUR + slice_ms + 1) is None
    later = _stepped(first, 10 * HOUR + 3 * slice_ms + 7)  # slices skipped: all served paid
    assert later.paid == pro_rata(1000, later.window, 10 * HOUR + 3 * slice_ms + 7) == 300
    assert later.steps[-1].to_payee == 200
    rest_at = rest_due_at(later.window)
    assert rest_at == 12 * HOUR - SETTLE_LEAD_MS
    closed = _stepped(later, rest_at)
    step = closed.steps[-1]
    assert (step.event, step.to_payee, step.part) == ("restPaid", 1000 - later.paid, False)
    assert (closed.paid, closed.paid_out, closed.state) == (1000, True, OrderState.IN_PROGRESS)
    assert closed.due(12 * HOUR - 1) is None
    completed = closed.due(12 * HOUR)
    assert completed is not None
    assert (completed.state, completed.steps[-1].to_payee) == (OrderState.COMPLETED, None)
    assert [s.to_payee for s in completed.steps if s.to_payee is not None] == [
        s.to_payee for s in closed.steps if s.to_payee is not None
    ]


def test_an_unreported_window_starts_delivery_when_it_starts() -> None:
    assert _order().due(9 * HOUR) is None
    started = _order().due(10 * HOUR)
    assert started is not None
    step = started.steps[-1]
    assert (started.state, step.event, step.to_payee) == (
        OrderState.IN_PROGRESS,
        "windowStarted",
        None,
    )
    assert started.delivering


def test_time_waits_the_grace_for_a_report_from_delivery_start() -> None:
    assert _order().due(10 * HOUR + 4_999, grace_ms=5_000) is None
    assert _order().due(10 * HOUR + 5_000, grace_ms=5_000) is not None
    running = (
        ProductOrder(
            "o2", "off", "req", "", "a1", "sp", "op", "orch", Window(0, 4 * HOUR), 1000, "cd" * 32
        )
        .placed(0)
        .confirm("op", HOUR, "c2")
    )  # confirmed in a window already running: delivery starts at the confirmation
    assert running.release_at(5_000) == HOUR + 5_000
    assert running.due(HOUR + 4_999, grace_ms=5_000) is None
    failed = running.asset_failed("orch", HOUR + 1_000)  # within the grace: the hold is open
    assert failed.steps[-1].to_payee == pro_rata(1000, running.window, HOUR + 1_000)
    started = running.due(HOUR + 5_000, grace_ms=5_000)
    assert started is not None  # what was served before the confirmation is paid in part
    assert started.steps[-1].to_payee == pro_rata(1000, running.window, HOUR + 5_000)
    late = replace(running, window=Window(0, HOUR + 1_000))  # the grace outlasts the window
    released = _stepped(late, HOUR + 1_000, HOUR + 1_000, HOUR + 1_000)
    assert [(s.event, s.to_payee) for s in released.steps[2:]] == [
        ("windowStarted", 1000),
        ("restPaid", 0),
        ("windowEnded", None),
    ]


def test_a_report_after_a_timed_start_is_recorded_and_pays_nothing_more() -> None:
    started = _stepped(_order(), 10 * HOUR, 10 * HOUR + HOUR)  # started, then half paid
    assert started.paid == 500
    configured = started.access_configured("orch", 11 * HOUR + 1)
    assert configured.steps[-1].event == "accessConfigured"
    assert configured.steps[-1].to_payee is None
    assert configured.paid == 500
    _refused(409, "reported", lambda: configured.access_configured("orch", 11 * HOUR + 2))


def test_a_failure_after_part_payments_settles_the_share_served_less_what_was_paid() -> None:
    paying = _stepped(_order().access_configured("orch", 10 * HOUR), 11 * HOUR)
    assert paying.paid == 500
    failed = paying.asset_failed("orch", 11 * HOUR + HOUR // 2)  # three quarters served
    step = failed.steps[-1]
    assert (failed.state, step.to_payee, step.part) == (OrderState.FAILED, 250, False)
    assert (failed.paid, failed.paid_out) == (750, True)  # the rest, 250, goes back
    assert failed.due(13 * HOUR) is None
    closed = _stepped(paying, rest_due_at(paying.window))
    late = closed.asset_failed("orch", 12 * HOUR - 1)  # after the rest: recorded only
    assert (late.state, late.steps[-1].to_payee, late.paid) == (OrderState.FAILED, None, 1000)


def test_a_failure_while_the_hold_is_open_pays_the_share_before_it() -> None:
    failed = _order().asset_failed("orch", 10 * HOUR + HOUR // 2)
    assert (failed.state, failed.steps[-1].to_payee) == (OrderState.FAILED, 250)
    early = _order().asset_failed("orch", 9 * HOUR)  # before the window: a full refund
    assert (early.state, early.steps[-1].to_payee) == (OrderState.FAILED, 0)
    _refused(409, "before the window ends", lambda: _order().asset_failed("orch", 12 * HOUR))
    _refused(403, "orchestrator", lambda: _order().asset_failed("sp", 11 * HOUR))
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
    st.lists(
        st.sampled_from(["confirm", "reject", "cancel", "configure", "fail", "due"]), max_size=7
    ),
    st.lists(st.integers(0, 14 * HOUR), min_size=7, max_size=7),
)
def test_the_hold_is_closed_at_most_once_and_never_pays_more_than_it_holds(
    actions: list[str], times: list[int]
) -> None:
    order = _placed()
    for action, at in zip(actions, sorted(times), strict=False):
        try:
            if action == "confirm":
                order = order.confirm("op", at, "c1")
            elif action == "reject":
                order = order.reject("op", at)
            elif action == "cancel":
                order = order.cancel("sp", at, in_flight=at % 2 == 0)
            elif action == "configure":
                order = order.access_configured("orch", at)
            elif action == "fail":
                order = order.asset_failed("orch", at)
            else:
                order = order.due(at) or order
        except OrderRefused:
            continue
    paying = [step for step in order.steps if step.to_payee is not None]
    closing = [step for step in paying if not step.part]
    assert len(closing) <= 1
    assert not closing or paying[-1] == closing[0]  # nothing is paid once it is closed
    assert [s.event for s in order.steps].count("confirmed") <= 1
    paid = [step for step in paying if step.to_payee]
    assert not paid or order.confirmed_at is not None  # nothing is paid unconfirmed
    assert all(step.to_payee > 0 for step in paying if step.part)
    assert 0 <= order.paid <= order.price
