"""``plaza bench telco`` on a small plan: every figure measured, every order placed and its
twins written to the node."""

from __future__ import annotations

import json
import math

from typer.testing import CliRunner

from plaza.cli.main import app


def test_the_telco_benchmark_prints_its_figures_and_places_every_order() -> None:
    options = ["--book", "60", "--samples", "6", "--orders", "8", "--threads", "2"]
    result = CliRunner().invoke(app, ["bench", "telco", "--json", *options])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.splitlines()[0])
    assert (figures["offers"], figures["requests"]) == (33, 33)
    assert figures["orders"] == 8
    assert figures["twins_waiting"] == 0
    for name in ("match_on_create_p99_ms", "orders_per_s", "order_p99_ms"):
        assert math.isfinite(figures[name]), name
        assert figures[name] > 0, name
