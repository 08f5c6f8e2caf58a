"""Reading sources a sensor may use instead of a simulation: declared types, a command."""

from __future__ import annotations

import sys

import pytest

from plaza.streams import DataType
from plaza.streams.readings import InvalidReading, parse_data_types, values_for
from plaza.streams.sources import CommandSource

TYPES = (DataType("pm25", "µg/m³"), DataType("no2", "µg/m³"))


def test_declared_types_parse_and_bad_ones_say_how_to_write_them() -> None:
    assert parse_data_types("pm25:µg/m³, no2:µg/m³") == TYPES
    for bad in ("", "pm25", "pm25:µg/m³,no2"):
        with pytest.raises(InvalidReading, match="name:unit pairs"):
            parse_data_types(bad)


def test_values_are_the_declared_numbers_and_nothing_else() -> None:
    assert values_for('{"pm25": 7, "no2": 30.5, "battery": 90}', TYPES) == {
        "pm25": 7.0,
        "no2": 30.5,
    }
    for bad, says in (
        ("[1, 2]", "JSON object"),
        ("not json", "JSON object"),
        ('{"pm25": 7}', "no2 is missing"),
        ('{"pm25": true, "no2": 1}', "pm25 is missing or not a number"),
        ('{"pm25": "7", "no2": 1}', "pm25 is missing or not a number"),
    ):
        with pytest.raises(InvalidReading, match=says):
            values_for(bad, TYPES)


def test_a_command_prints_each_reading_and_a_failing_one_gives_none() -> None:
    printing = CommandSource([sys.executable, "-c", 'print(\'{"pm25": 7.5, "no2": 31}\')'], TYPES)
    reading = printing.reading(1_000)
    assert reading is not None
    assert (reading.at_ms, dict(reading.values)) == (1_000, {"pm25": 7.5, "no2": 31.0})
    failing = CommandSource([sys.executable, "-c", "raise SystemExit(3)"], TYPES)
    assert failing.reading(1_000) is None
    garbled = CommandSource([sys.executable, "-c", "print('warm-up')"], TYPES)
    assert garbled.reading(1_000) is None
    missing = CommandSource(["/nonexistent/meter"], TYPES)
    assert missing.reading(1_000) is None
    slow = CommandSource([sys.executable, "-c", "import time; time.sleep(5)"], TYPES, timeout_s=0.2)
    assert slow.reading(1_000) is None
