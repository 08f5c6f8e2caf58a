"""The demo's three services compute from their input alone, the same answer each time, and
the route to Svalbard fails with a reason (the refund the demo shows), as do the customer's
every fourth call."""

from __future__ import annotations

import pytest

from plaza.bootstrap.services_catalog import SERVICES, forecast, route, thumbnail
from plaza.bootstrap.services_demo import SCHEDULE
from plaza.services.provider import JobFailed
from plaza.services.schema import schema_problem


def test_a_forecast_is_the_same_for_the_same_place_and_day() -> None:
    first = forecast({"place": "Bergen", "day": 2})
    assert first == forecast({"place": "Bergen", "day": 2})
    assert first["place"] == "Bergen"
    assert isinstance(first["max_c"], int)


def test_a_route_is_a_third_over_the_great_circle_and_svalbard_has_no_road() -> None:
    trip = route({"from": "Trondheim", "to": "Oslo"})
    assert 500 < trip["km"] < 550  # 392 km as the crow flies
    assert trip["hours"] == round(trip["km"] / 70, 2)
    with pytest.raises(JobFailed, match="no road between Trondheim and Longyearbyen"):
        route({"from": "Trondheim", "to": "Longyearbyen"})


def test_a_thumbnail_averages_blocks() -> None:
    image = [[0, 100, 10, 10], [100, 200, 10, 10]]
    assert thumbnail({"pixels": image}) == {"width": 2, "height": 1, "pixels": [[100, 10]]}
    with pytest.raises(JobFailed, match="rows of equal length"):
        thumbnail({"pixels": [[1, 2], [3]]})


def test_every_scheduled_call_fits_its_schema_and_every_fourth_fails() -> None:
    sold = {service.name: service for service in SERVICES}
    outcomes = []
    for name, job in SCHEDULE:
        assert schema_problem(job, sold[name].input_schema) == ""
        try:
            sold[name](job)
            outcomes.append("paid")
        except JobFailed:
            outcomes.append("refunded")
    assert outcomes == ["paid", "paid", "paid", "refunded"]
