"""Device profiles: plausible shapes through the day, and the same energy for the same seed."""

from __future__ import annotations

import random

import pytest

from plaza.agents.energy.profiles import (
    DAY_MS,
    SLOT_MS,
    SLOTS_PER_DAY,
    ChargingStation,
    DeviceKind,
    ElectricVehicle,
    HeatPump,
    Profile,
    SolarPanel,
    typical_profile,
)
from plaza.energy.model import AssetType

DAY = 20_458  # Monday 2026-01-05, in days since the epoch
HOUR = SLOTS_PER_DAY // 24


def hours(table: tuple[int, ...], first: int, last: int) -> int:
    """Wh of a day's table from ``first`` o'clock up to ``last`` o'clock."""
    return sum(table[first * HOUR : last * HOUR])


def week(profile: Profile) -> list[tuple[int, ...]]:
    return [profile.day(DAY + n) for n in range(7)]


def test_kinds_say_which_side_of_the_market_they_are_on() -> None:
    assert DeviceKind.SOLAR.type is AssetType.PROVIDER
    assert DeviceKind.CHARGER.type is AssetType.PROVIDER
    assert DeviceKind.EV.type is AssetType.CONSUMER
    assert DeviceKind.HEAT_PUMP.type is AssetType.CONSUMER
    assert HeatPump(1, rated_w=2000).type is AssetType.CONSUMER


@pytest.mark.parametrize("kind", list(DeviceKind))
def test_the_same_seed_gives_the_same_days_in_any_order(kind: DeviceKind) -> None:
    first = typical_profile(kind, seed=7, rng=random.Random(1))
    second = typical_profile(kind, seed=7, rng=random.Random(1))
    forwards = week(first)
    backwards = [second.day(DAY + n) for n in reversed(range(7))][::-1]
    assert forwards == backwards
    assert all(len(day) == SLOTS_PER_DAY for day in forwards)
    other = typical_profile(kind, seed=8, rng=random.Random(1))
    assert week(other) != forwards
    assert sum(map(sum, forwards)) > 0


def test_the_sun_shines_between_sunrise_and_sunset_most_at_noon() -> None:
    panel = SolarPanel(3, peak_w=5000, sunrise_h=6, sunset_h=20)
    for table in week(panel):
        assert hours(table, 0, 6) == 0
        assert hours(table, 20, 24) == 0
        assert hours(table, 12, 14) > hours(table, 7, 9) > 0
        assert max(table) <= 5000 * SLOT_MS // 3_600_000
    totals = [sum(day) for day in week(panel)]
    assert len(set(totals)) > 1, "clouds vary from day to day"


def test_a_charging_station_offers_less_at_the_rush_hours() -> None:
    station = ChargingStation(5, capacity_w=11_000)
    night = sum(hours(day, 0, 6) for day in week(station)) / 6
    rush = sum(hours(day, 17, 21) for day in week(station)) / 4
    assert night > 2 * rush > 0


def test_an_electric_vehicle_charges_from_the_evening_into_the_night() -> None:
    car = ElectricVehicle(9, daily_wh=15_000, charger_w=7400)
    days = week(car)
    assert all(hours(day, 8, 15) == 0 for day in days), "away at work"
    assert sum(hours(day, 15, 24) for day in days) > 0
    assert sum(hours(day, 0, 7) for day in days) > 0, "the charge runs past midnight"
    assert max(max(day) for day in days) <= 7400 * SLOT_MS // 3_600_000


def test_a_heat_pump_runs_more_at_night_and_in_the_morning() -> None:
    pump = HeatPump(4, rated_w=3000)
    mornings = sum(hours(day, 0, 9) for day in week(pump)) / 9
    afternoons = sum(hours(day, 12, 18) for day in week(pump)) / 6
    assert mornings > 1.2 * afternoons > 0


def test_consecutive_intervals_add_up_to_the_slots_they_cover() -> None:
    car = ElectricVehicle(2, daily_wh=12_000)
    start = DAY * DAY_MS
    by_minute = sum(car.energy_wh(start + m * 60_000, 60_000) for m in range(3 * 24 * 60))
    by_day = sum(sum(car.day(DAY + n)) for n in range(3))
    assert by_minute == car.energy_wh(start, 3 * DAY_MS) == by_day > 0
    assert car.energy_wh(start + 5 * SLOT_MS, SLOT_MS) == car.day(DAY)[5]
    assert car.slot_wh(DAY * SLOTS_PER_DAY + 5) == car.day(DAY)[5]
    # An interval across midnight is the evening's tail plus the night's head.
    late = start + DAY_MS - SLOT_MS
    assert car.energy_wh(late, 2 * SLOT_MS) == car.day(DAY)[-1] + car.day(DAY + 1)[0]


def test_half_a_slot_is_half_its_energy_rounded_down() -> None:
    panel = SolarPanel(1, peak_w=8000)
    noon = DAY * DAY_MS + 12 * 3_600_000
    whole = panel.energy_wh(noon, SLOT_MS)
    assert panel.energy_wh(noon, SLOT_MS // 2) == whole // 2
    assert (
        panel.energy_wh(noon, SLOT_MS // 2) + panel.energy_wh(noon + SLOT_MS // 2, SLOT_MS // 2)
        == whole
    )


@pytest.mark.parametrize("interval", [0, -SLOT_MS])
def test_an_empty_interval_is_refused(interval: int) -> None:
    with pytest.raises(ValueError, match="interval_ms must be positive"):
        SolarPanel(1, peak_w=1000).energy_wh(DAY * DAY_MS, interval)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: SolarPanel(1, peak_w=0), "positive peak"),
        (lambda: SolarPanel(1, peak_w=10, sunrise_h=20, sunset_h=6), "sunrise before sunset"),
        (lambda: ChargingStation(1, capacity_w=-1), "positive capacity"),
        (lambda: ElectricVehicle(1, daily_wh=0), "positive daily energy"),
        (lambda: HeatPump(1, rated_w=0), "positive rating"),
    ],
)
def test_impossible_devices_are_refused(build: object, message: str) -> None:
    assert callable(build)
    with pytest.raises(ValueError, match=message):
        build()


def test_typical_profiles_are_household_sized() -> None:
    rng = random.Random(3)
    for kind in DeviceKind:
        profile = typical_profile(kind, seed=1, rng=rng)
        assert profile.kind is kind
        daily = sum(sum(day) for day in week(profile)) / 7
        assert 1_000 < daily < 100_000, f"{kind}: {daily} Wh a day"
