"""The filters every policy applies: owners, windows, required attributes, partners, radius."""

from __future__ import annotations

import pytest
from market_support import HOUR_MS, START_MS, offer, request

from plaza.market import Location, Order, Requirements
from plaza.market.matching import Resting, compatible, haversine_km, mismatch
from plaza.market.model import NewOrder

BERLIN, POTSDAM, MUNICH = Location(52.52, 13.405), Location(52.39, 13.064), Location(48.137, 11.575)
NEAR = Requirements(max_distance_km=100)


def entry(spec: NewOrder, number: int = 1) -> Resting:
    return Resting(Order.accept(spec, order_id=f"ord-{number}", priority=number, at_ms=START_MS))


def test_haversine_distances() -> None:
    assert haversine_km(BERLIN, BERLIN) == 0.0
    assert haversine_km(BERLIN, MUNICH) == pytest.approx(504, abs=2)
    assert haversine_km(BERLIN, POTSDAM) == pytest.approx(27, abs=2)
    assert haversine_km(Location(0, 179.5), Location(0, -179.5)) == pytest.approx(111.2, abs=0.5)


def test_plain_orders_of_two_owners_in_overlapping_windows_are_compatible() -> None:
    assert compatible(entry(offer()), entry(request(), 2))
    assert mismatch(entry(offer()), entry(request(), 2)) is None


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        (offer("ann"), request("ann"), "same owner"),
        (offer(kind="data"), request(), "kinds differ"),
        (offer(), request(start_ms=START_MS + HOUR_MS), "windows do not overlap"),
        (offer(), request(requires=Requirements(attributes=(("green", True),))), "green=True"),
        (
            offer(attrs={"green": 1}),
            request(requires=Requirements(attributes=(("green", True),))),
            "green=True",
        ),
        (offer(attrs={"quality": 2}), request(requires=Requirements(min_quality=3)), "quality"),
        (offer(attrs={"quality": True}), request(requires=Requirements(min_quality=1)), "quality"),
        (offer("ann"), request(requires=Requirements(partners=("cat",))), "preferred partner"),
        (offer(location=MUNICH), request(location=BERLIN, requires=NEAR), "within 100 km"),
        (offer(), request(location=BERLIN, requires=NEAR), "within"),
        (
            offer(location=BERLIN, requires=Requirements(max_distance_km=10)),
            request(location=POTSDAM),
            "within 10 km",
        ),
    ],
)
def test_each_filter_says_why_it_refuses(a: NewOrder, b: NewOrder, reason: str) -> None:
    first, second = entry(a), entry(b, 2)
    assert not compatible(first, second)
    assert not compatible(second, first)
    found = mismatch(first, second)
    assert found is not None
    assert reason in found


def test_requirements_that_are_met_pass_both_ways() -> None:
    wants = Requirements(
        attributes=(("green", True),), min_quality=2, partners=("ann",), max_distance_km=50
    )
    a = entry(offer("ann", location=POTSDAM, attrs={"green": True, "quality": 3}))
    b = entry(request("bob", location=BERLIN, requires=wants), 2)
    assert compatible(a, b)
    assert compatible(b, a)
