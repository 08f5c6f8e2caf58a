"""Readings: what a sensor publishes on its channel, simulated profiles, and downloads.

A reading is one channel record of canonical JSON, ``{"at": ms, "values": {...}}``
with values keyed by the announcement's data-type names. Simulated profiles
stand in for real meters (PEGASUS's city sensors): a daily cycle plus noise
drawn from a seeded generator, so a test or a demo sees plausible, repeatable
numbers. :func:`to_csv` and :func:`to_json` are the buyer's downloads.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from plaza.streams.announcement import DataType
from plaza.streams.errors import StreamError

__all__ = [
    "PROFILES",
    "InvalidReading",
    "Reading",
    "SimulatedProfile",
    "parse_data_types",
    "to_csv",
    "to_json",
    "values_for",
]

_DAY_MS = 86_400_000


class InvalidReading(StreamError):
    code = "invalid_reading"


@dataclass(frozen=True, slots=True)
class Reading:
    """Measured ``values`` (by data type) at ``at_ms``."""

    at_ms: int
    values: Mapping[str, float]

    def encode(self) -> bytes:
        body = {"at": self.at_ms, "values": dict(sorted(self.values.items()))}
        return json.dumps(body, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, data: bytes) -> Reading:
        try:
            body = json.loads(data)
            at_ms, values = int(body["at"]), body["values"]
            parsed = {str(name): float(value) for name, value in values.items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            raise InvalidReading("a reading is JSON {at: ms, values: {name: number}}") from None
        return cls(at_ms, parsed)


def parse_data_types(text: str) -> tuple[DataType, ...]:
    """``pm25:µg/m³,no2:µg/m³`` as data types (a command's or a meter's, declared)."""
    pairs = [part.split(":", 1) for part in text.split(",") if part.strip()]
    if not pairs or any(len(pair) != 2 for pair in pairs):
        raise InvalidReading(f"{text!r}: data types are name:unit pairs, comma-separated")
    return tuple(DataType(name.strip(), unit.strip()) for name, unit in pairs)


def values_for(data: bytes | str, data_types: tuple[DataType, ...]) -> dict[str, float]:
    """The declared types' values from a JSON object (``{"pm25": 12.5, ...}``); others are
    ignored, a missing or non-numeric one refuses the whole reading."""
    try:
        body = json.loads(data)
    except ValueError:
        raise InvalidReading("a reading is a JSON object of numbers") from None
    if not isinstance(body, dict):
        raise InvalidReading("a reading is a JSON object of numbers")
    values = {}
    for data_type in data_types:
        value = body.get(data_type.name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidReading(f"{data_type.name} is missing or not a number")
        values[data_type.name] = float(value)
    return values


@dataclass(frozen=True, slots=True)
class _Signal:
    """One quantity's shape: a base level, a daily swing peaking at ``peak_hour``, noise."""

    data_type: DataType
    base: float
    swing: float
    peak_hour: float
    noise: float
    floor: float = 0.0

    def value(self, at_ms: int, rng: random.Random) -> float:
        hours = (at_ms % _DAY_MS) / 3_600_000
        daily = math.cos((hours - self.peak_hour) / 24 * 2 * math.pi)
        value = self.base + self.swing * daily + rng.gauss(0, self.noise)
        return round(max(self.floor, value), 2)


class SimulatedProfile:
    """A simulated meter of one kind; seeded, so two runs read alike."""

    def __init__(self, name: str, signals: tuple[_Signal, ...], *, seed: int = 0) -> None:
        self.name = name
        self._signals = signals
        self._rng = random.Random(f"{name}:{seed}")  # noqa: S311 - repeatable, not secret

    @property
    def data_types(self) -> tuple[DataType, ...]:
        return tuple(signal.data_type for signal in self._signals)

    def reading(self, at_ms: int) -> Reading:
        return Reading(at_ms, {s.data_type.name: s.value(at_ms, self._rng) for s in self._signals})

    def close(self) -> None:
        """Nothing to release: a simulation holds no connection."""


def _air(seed: int) -> SimulatedProfile:
    return SimulatedProfile(
        "air",
        (
            _Signal(DataType("pm25", "µg/m³"), 18, 8, 8, 2),
            _Signal(DataType("no2", "µg/m³"), 35, 15, 18, 4),
            _Signal(DataType("temperature", "°C"), 15, 6, 15, 0.5, floor=-40),
        ),
        seed=seed,
    )


def _noise(seed: int) -> SimulatedProfile:
    signals = (_Signal(DataType("laeq", "dB(A)"), 58, 9, 17, 3, floor=20),)
    return SimulatedProfile("noise", signals, seed=seed)


def _parking(seed: int) -> SimulatedProfile:
    signals = (_Signal(DataType("free_spots", "spots"), 40, 30, 3, 4),)
    return SimulatedProfile("parking", signals, seed=seed)


def _traffic(seed: int) -> SimulatedProfile:
    signals = (
        _Signal(DataType("vehicles", "per min"), 30, 22, 8, 5),
        _Signal(DataType("speed", "km/h"), 38, -12, 8, 3),
    )
    return SimulatedProfile("traffic", signals, seed=seed)


#: The simulated profiles ``plaza sensor run --profile`` knows, by name.
PROFILES = {"air": _air, "noise": _noise, "parking": _parking, "traffic": _traffic}

_CSV_FIXED = ("position", "at_ms")


def _rows(readings: Iterable[tuple[int, Reading]]) -> list[dict[str, object]]:
    return [{"position": p, "at_ms": r.at_ms, **dict(r.values)} for p, r in readings]


def to_json(readings: Iterable[tuple[int, Reading]]) -> str:
    """Readings with their channel positions, as a JSON array (one object each)."""
    return json.dumps(_rows(readings), ensure_ascii=False, indent=1)


def to_csv(readings: Iterable[tuple[int, Reading]]) -> str:
    """Readings with their channel positions as CSV: position, at_ms, then each value."""
    rows = _rows(readings)
    names = sorted({key for row in rows for key in row} - set(_CSV_FIXED))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*_CSV_FIXED, *names], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
