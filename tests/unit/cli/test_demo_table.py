"""The demo's summary table speaks units: energy in Wh (and kWh), value in coins, the mean
price in coins per kWh, and "none yet" before any contract."""

from __future__ import annotations

from rich.console import Console

from plaza.cli.demo import _table


def _text(figures: dict[str, object]) -> str:
    console = Console(width=100, record=True)
    console.print(_table(figures, 12.0))
    return console.export_text()


def test_the_trade_is_shown_in_its_units() -> None:
    text = _text(
        {
            "contracts": 1200,
            "energy_contracted_wh": 36_500,
            "value_contracted_coins": 730,
            "mean_price_coins_per_kwh": 20.0,
        }
    )
    assert "1,200" in text
    assert "36,500 Wh (36.5 kWh)" in text
    assert "730 coins" in text
    assert "20.0 coins per kWh" in text
    assert "this run: 12 s" in text


def test_before_any_contract_the_mean_price_says_so() -> None:
    assert "none yet" in _text({"energy_contracted_wh": 0, "mean_price_coins_per_kwh": None})


def test_the_other_verticals_figures_show_under_their_headings_in_their_units() -> None:
    text = _text(
        {
            "contracts": 3,
            "streams_sensors": 12,
            "streams_readings": 1_440,
            "streams_bought": 2,
            "services_calls_paid": 9,
            "services_calls_refunded": 3,
            "services_coins_paid": 195,
        }
    )
    rows = {line.strip("│ ").split("│")[0].strip(): line for line in text.splitlines()}
    assert "city sensors (streams)" in rows
    assert "1,440" in rows["readings published"]
    assert "2" in rows["streams bought"]
    assert "services (pay per call)" in rows
    assert "9" in rows["calls paid"]
    assert "3" in rows["calls refunded"]
    assert "195 coins" in rows["paid to providers"]


def test_a_vertical_left_out_has_no_heading() -> None:
    assert "services" not in _text({"contracts": 3, "streams_sensors": 12})
