"""The JSON Schema subset a service's input is checked against, before paying and running."""

from __future__ import annotations

from typing import Any

import pytest

from plaza.services.schema import schema_problem

PLACE = {
    "type": "object",
    "properties": {
        "place": {"type": "string", "minLength": 1, "maxLength": 20},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
        "units": {"enum": ["metric", "imperial"]},
        "hours": {"type": "array", "items": {"type": "integer"}, "maxItems": 3},
    },
    "required": ["place"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"place": "Torino"}, ""),
        ({"place": "Torino", "days": 3, "units": "metric", "hours": [6, 12]}, ""),
        ([], "input must be object"),
        ({}, "input lacks 'place'"),
        ({"place": ""}, "input.place must have at least 1 characters"),
        ({"place": "x" * 21}, "input.place must have at most 20 characters"),
        ({"place": "Torino", "days": 0}, "input.days must be at least 1"),
        ({"place": "Torino", "days": 8}, "input.days must be at most 7"),
        ({"place": "Torino", "days": True}, "input.days must be integer"),
        ({"place": "Torino", "days": 1.5}, "input.days must be integer"),
        ({"place": "Torino", "units": "kelvin"}, "input.units must be one of 'metric', 'imperial'"),
        ({"place": "Torino", "hours": [1, "2"]}, "input.hours[1] must be integer"),
        ({"place": "Torino", "hours": [1, 2, 3, 4]}, "input.hours must have at most 3 items"),
        ({"place": "Torino", "colour": "red"}, "input has unknown fields: colour"),
    ],
)
def test_an_input_fits_or_says_its_first_problem(value: Any, problem: str) -> None:
    assert schema_problem(value, PLACE) == problem


def test_no_schema_and_unknown_keywords_check_nothing() -> None:
    assert schema_problem({"anything": [1, None]}, {}) == ""
    assert schema_problem("text", {"pattern": "^x$", "format": "email"}) == ""
    assert schema_problem(None, {"type": ["string", "null"]}) == ""
    assert schema_problem(2, {"type": "number", "maximum": 1.5}) == "input must be at most 1.5"
