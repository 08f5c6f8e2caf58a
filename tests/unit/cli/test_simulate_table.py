"""plaza simulate energy's table speaks units; its --json keeps bare numbers."""

from __future__ import annotations

from typer.testing import CliRunner

from plaza.cli.main import app


def test_the_table_gives_each_figure_its_unit() -> None:
    shown = CliRunner().invoke(app, ["simulate", "energy", "--agents", "20", "--slots", "2"])
    assert shown.exit_code == 0, shown.output
    for line in ("reference price", "offered energy", "traded value", "average price"):
        assert line in shown.output
    assert " Wh (" in shown.output
    assert "kWh)" in shown.output
    assert "coins per kWh" in shown.output
    assert shown.output.count(" coins") >= 3  # two prices and the traded value
    assert "slots/s" in shown.output
