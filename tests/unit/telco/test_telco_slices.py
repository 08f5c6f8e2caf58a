"""What a window's delivery pays, whenever the desk's timer runs and the asset fails: the
asset provider gets exactly the share served, the customer the rest, and no more than
the hold held leaves it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from plaza.telco.orders import OrderState, ProductOrder, pro_rata
from plaza.telco.slices import SLICES, rest_due_at, slice_of
from plaza.telco.terms import Window

HOUR = 3_600_000


def _delivering(price: int, length: int, configured_at: int) -> ProductOrder:
    """An order for ``[HOUR, HOUR + length)``, confirmed, access configured at
    ``configured_at`` into the window."""
    order = ProductOrder(
        "o", "off", "req", "", "a1", "sp", "op", "orch", Window(HOUR, HOUR + length), price, "h"
    )
    confirmed = order.placed(0).confirm("op", 1, "c1")
    return confirmed.access_configured("orch", HOUR + configured_at)


@given(
    price=st.integers(1, 10**12),
    length=st.integers(1_000, 30 * 24 * HOUR),
    configured=st.floats(0, 0.99),
    ticks=st.lists(st.floats(0, 1), max_size=30),
    failure=st.floats(0, 1),
)
def test_the_provider_gets_the_share_served_and_the_customer_the_rest(
    price: int, length: int, configured: float, ticks: list[float], failure: float
) -> None:
    order = _delivering(price, length, int(length * configured))
    fail_at = order.steps[-1].at_ms + int((order.window.end_ms - order.steps[-1].at_ms) * failure)
    fail_at = min(fail_at, order.window.end_ms - 1)
    for tick in sorted(ticks):
        at = order.steps[-1].at_ms + int((fail_at - order.steps[-1].at_ms) * tick)
        order = order.due(at) or order
        if not order.paid_out:  # in arrears, never ahead, until the rest goes before the end
            assert 0 <= order.paid <= pro_rata(price, order.window, at)
        else:
            assert (order.paid, at >= rest_due_at(order.window)) == (price, True)
    failed = order.asset_failed("orch", fail_at)
    assert failed.state is OrderState.FAILED
    if not order.paid_out:  # the hold still open: pro rata, the rest back
        assert failed.paid == pro_rata(price, order.window, fail_at)
        assert failed.closing == failed.steps[-1]
    else:  # the rest already paid: recorded, nothing moves
        assert (failed.paid, failed.steps[-1].to_payee) == (price, None)
    assert 0 <= price - failed.paid <= price  # what goes back to the customer


@given(length=st.integers(1_000, 30 * 24 * HOUR), at=st.integers(0, 31 * 24 * HOUR))
def test_slices_count_up_through_the_window(length: int, at: int) -> None:
    window = Window(0, length)
    assert 0 <= slice_of(window, at) <= SLICES
    assert slice_of(window, at + 1) >= slice_of(window, at)
    assert window.start_ms < rest_due_at(window) < window.end_ms
