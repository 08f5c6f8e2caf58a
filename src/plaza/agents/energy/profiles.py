"""Plausible daily energy profiles of simulated devices, the same every run for one seed.

The device simulator (:mod:`plaza.agents.energy.devices`) and the market simulation
(:mod:`plaza.agents.energy.simulate`) need producers and consumers whose energy moves
through the day the way real ones do, so that offers and requests meet at the
times they would: solar at midday, electric vehicles overnight.

A profile is built on **15-minute slots** (:data:`SLOT_MS`), the market's
trading interval. Each UTC day gets its own table of watt-hours per slot, drawn
from a :class:`random.Random` seeded with the profile's seed and the day, so a
day's energy never depends on which days were asked for before or in what
order; a simulator restarted mid-week replays the same week.

* :class:`SolarPanel` (producer): a bell from sunrise to sunset scaled to the
  panel's peak, under a cloudiness drawn per day and drifting slot to slot;
* :class:`ChargingStation` (producer): the grid connection of a charging
  station offered as flexibility, large while no car is plugged in, small at
  the morning and evening rush;
* :class:`ElectricVehicle` (consumer): arrives home in the evening and charges
  at its charger's power until its day's driving is replaced, into the night;
* :class:`HeatPump` (consumer): follows a temperature-like daily curve (coldest
  before dawn), more at night and in the morning, with a hot-water peak.

Pure: no I/O, no clock. Quantities are integer watt-hours, as on the wire.
"""

from __future__ import annotations

import enum
import math
import random
from abc import ABC, abstractmethod

from plaza.energy.model import AssetType

__all__ = [
    "DAY_MS",
    "SLOTS_PER_DAY",
    "SLOT_MS",
    "ChargingStation",
    "DeviceKind",
    "ElectricVehicle",
    "HeatPump",
    "Profile",
    "SolarPanel",
    "typical_profile",
]

SLOT_MS = 15 * 60 * 1000
DAY_MS = 24 * 60 * 60 * 1000
SLOTS_PER_DAY = DAY_MS // SLOT_MS
_SLOT_H = SLOT_MS / 3_600_000  # watts times this is watt-hours per slot
_CACHED_DAYS = 4


class DeviceKind(enum.StrEnum):
    SOLAR = "solar"
    CHARGER = "charger"
    EV = "ev"
    HEAT_PUMP = "heat_pump"

    @property
    def type(self) -> AssetType:
        """Whether the device sells (provider) or buys (consumer) on the market."""
        producing = self in (DeviceKind.SOLAR, DeviceKind.CHARGER)
        return AssetType.PROVIDER if producing else AssetType.CONSUMER


def _hour(slot: int) -> float:
    """The hour of the day at the middle of a slot."""
    return (slot + 0.5) * _SLOT_H


class Profile(ABC):
    """Watt-hours per slot of one device; the same for the same seed, whatever is asked first."""

    kind: DeviceKind

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._days: dict[int, tuple[int, ...]] = {}

    @property
    def type(self) -> AssetType:
        return self.kind.type

    def day(self, day: int) -> tuple[int, ...]:
        """The Wh of each of the :data:`SLOTS_PER_DAY` slots of UTC day ``day`` (since 1970)."""
        table = self._days.get(day)
        if table is None:
            if len(self._days) >= _CACHED_DAYS:
                self._days.pop(next(iter(self._days)))
            table = self._days[day] = tuple(max(0, round(wh)) for wh in self._draw_day(day))
        return table

    def slot_wh(self, slot: int) -> int:
        """The Wh of slot number ``slot`` counted from the epoch."""
        day, index = divmod(slot, SLOTS_PER_DAY)
        return self.day(day)[index]

    def energy_wh(self, start_ms: int, interval_ms: int) -> int:
        """The Wh of ``[start_ms, start_ms + interval_ms)``.

        Partial slots count pro rata, rounded down at the interval's ends, so
        that consecutive intervals add up to exactly the slots they cover: a
        simulator stepping every minute reports the same energy as one stepping
        every quarter hour.
        """
        if interval_ms <= 0:
            raise ValueError(f"interval_ms must be positive, got {interval_ms}")
        end_ms, total = start_ms + interval_ms, 0
        day = start_ms // DAY_MS
        while day * DAY_MS < end_ms:
            midnight = day * DAY_MS
            total += self._until(day, min(end_ms - midnight, DAY_MS))
            total -= self._until(day, max(start_ms - midnight, 0))
            day += 1
        return total

    def _until(self, day: int, into_ms: int) -> int:
        """Wh of ``day`` from midnight up to ``into_ms`` later, the last slot rounded down."""
        table = self.day(day)
        slot, into_slot = divmod(into_ms, SLOT_MS)
        if slot >= SLOTS_PER_DAY:
            return sum(table)
        return sum(table[:slot]) + table[slot] * into_slot // SLOT_MS

    def _rng(self, day: int) -> random.Random:
        # Reproducible simulation, not secrecy: a string seed hashes the same in every run.
        return random.Random(f"{self.kind}:{self.seed}:{day}")  # noqa: S311

    @abstractmethod
    def _draw_day(self, day: int) -> list[float]:
        """The day's Wh per slot, before rounding."""


class SolarPanel(Profile):
    """A panel of ``peak_w`` under a clear sky at noon; clouds take up to 80% of it."""

    kind = DeviceKind.SOLAR

    def __init__(
        self, seed: int, *, peak_w: int, sunrise_h: float = 6.5, sunset_h: float = 19.5
    ) -> None:
        super().__init__(seed)
        if peak_w <= 0 or not 0 <= sunrise_h < sunset_h <= 24:
            raise ValueError("a solar panel needs a positive peak and sunrise before sunset")
        self.peak_w, self.sunrise_h, self.sunset_h = peak_w, sunrise_h, sunset_h

    def _draw_day(self, day: int) -> list[float]:
        rng = self._rng(day)
        cloudiness = rng.random() * 0.8  # 0: clear all day, 0.8: overcast
        length = self.sunset_h - self.sunrise_h
        shade, table = 0.0, []
        for slot in range(SLOTS_PER_DAY):
            # Clouds drift: each slot's shade leans on the previous one's.
            shade = 0.6 * shade + 0.4 * rng.random() * cloudiness
            x = (_hour(slot) - self.sunrise_h) / length
            bell = math.sin(math.pi * x) ** 2 if 0 < x < 1 else 0.0
            table.append(self.peak_w * bell * (1 - shade) * _SLOT_H)
        return table


class ChargingStation(Profile):
    """A station that offers a fifth to three fifths of its ``capacity_w`` grid connection as
    flexibility while no car is plugged in."""

    kind = DeviceKind.CHARGER

    def __init__(self, seed: int, *, capacity_w: int) -> None:
        super().__init__(seed)
        if capacity_w <= 0:
            raise ValueError("a charging station needs a positive capacity")
        self.capacity_w = capacity_w

    def _draw_day(self, day: int) -> list[float]:
        rng = self._rng(day)
        table = []
        for slot in range(SLOTS_PER_DAY):
            hour = _hour(slot)
            rush = 7 <= hour < 9 or 17 <= hour < 21
            busy = 0.85 if rush else 0.35 if 9 <= hour < 17 else 0.1
            occupied = rng.random() < busy
            table.append(0.0 if occupied else self.capacity_w * rng.uniform(0.2, 0.6) * _SLOT_H)
        return table


class ElectricVehicle(Profile):
    """A car that drives ``daily_wh`` on average and charges it back overnight.

    It arrives home in the evening and its smart charger spreads the charge
    evenly until it leaves at 7 am, at most ``charger_w``, so the demand sits in
    the night's cheap hours; one day in seven it stays home and needs nothing.
    """

    kind = DeviceKind.EV

    def __init__(self, seed: int, *, daily_wh: int, charger_w: int = 7400) -> None:
        super().__init__(seed)
        if daily_wh <= 0 or charger_w <= 0:
            raise ValueError("an electric vehicle needs positive daily energy and charger power")
        self.daily_wh, self.charger_w = daily_wh, charger_w

    def _session(self, day: int) -> list[float]:
        """Wh per slot from the start of ``day``; slots past the day belong to the next one."""
        rng = self._rng(day)
        if rng.random() < 1 / 7:
            return []
        arrival = int(min(23.0, max(15.0, rng.gauss(18.5, 1.2))) / _SLOT_H)
        departure = SLOTS_PER_DAY + int(7 / _SLOT_H)
        needed = self.daily_wh * rng.uniform(0.5, 1.5)
        rate = max(needed / (departure - arrival), self.charger_w * _SLOT_H / 4)
        rate = min(rate, self.charger_w * _SLOT_H)
        session = [0.0] * arrival
        while needed > 0:
            session.append(min(rate, needed))
            needed -= rate
        return session

    def _draw_day(self, day: int) -> list[float]:
        today, spill = self._session(day), self._session(day - 1)[SLOTS_PER_DAY:]
        table = [0.0] * SLOTS_PER_DAY
        for slot, wh in enumerate(today[:SLOTS_PER_DAY]):
            table[slot] += wh
        for slot, wh in enumerate(spill[:SLOTS_PER_DAY]):
            table[slot] += wh
        return table


class HeatPump(Profile):
    """A heat pump of ``rated_w`` that runs harder the colder it is outside.

    The outdoor temperature swings ``swing_c`` around a daily mean drawn near
    ``mean_c``, coldest at 3 am and warmest at 3 pm; the pump's share of its
    rating grows as the temperature falls below ``indoor_c``, plus a hot-water
    peak in the morning.
    """

    kind = DeviceKind.HEAT_PUMP

    def __init__(
        self, seed: int, *, rated_w: int, mean_c: float = 4.0, swing_c: float = 5.0
    ) -> None:
        super().__init__(seed)
        if rated_w <= 0:
            raise ValueError("a heat pump needs a positive rating")
        self.rated_w, self.mean_c, self.swing_c = rated_w, mean_c, swing_c

    def _draw_day(self, day: int) -> list[float]:
        rng = self._rng(day)
        mean = rng.gauss(self.mean_c, 3.0)
        indoor_c, design_c = 20.0, -10.0
        table = []
        for slot in range(SLOTS_PER_DAY):
            hour = _hour(slot)
            outside = mean + self.swing_c * math.cos(2 * math.pi * (hour - 15) / 24)
            share = min(1.0, max(0.0, (indoor_c - outside) / (indoor_c - design_c)))
            if 6 <= hour < 8:
                share = min(1.0, share + 0.3)  # hot water for the morning
            table.append(self.rated_w * share * rng.uniform(0.9, 1.1) * _SLOT_H)
        return table


def typical_profile(kind: DeviceKind, *, seed: int, rng: random.Random) -> Profile:
    """A household-sized device of ``kind`` whose size is drawn from ``rng``."""
    if kind is DeviceKind.SOLAR:
        return SolarPanel(seed, peak_w=rng.randrange(3_000, 10_001, 100))
    if kind is DeviceKind.CHARGER:
        return ChargingStation(seed, capacity_w=rng.choice((3_700, 7_400, 11_000)))
    if kind is DeviceKind.EV:
        return ElectricVehicle(
            seed, daily_wh=rng.randrange(6_000, 20_001, 500), charger_w=rng.choice((3_700, 7_400))
        )
    return HeatPump(seed, rated_w=rng.randrange(1_500, 4_001, 100))
