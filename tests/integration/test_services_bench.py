"""``plaza bench services`` on a small plan: every figure measured, and no coin lost to the
provider killed mid-load."""

from __future__ import annotations

import json
import math

from typer.testing import CliRunner

from plaza.cli.main import app


def test_the_services_benchmark_prints_its_figures_and_loses_no_coin() -> None:
    options = ["--customers", "4", "--seconds", "4", "--kill-seconds", "6"]
    result = CliRunner().invoke(
        app, ["bench", "services", "--json", *options, "--gateway-samples", "10"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.splitlines()[0])
    assert figures["lost_coins"] == 0
    assert figures["calls"] > 0
    assert figures["customers_spent"] == figures["provider_revenue"]
    assert figures["gateway_samples"] == 10
    for name in ("calls_per_s", "call_p50_s", "call_p99_s", "gateway_overhead_p99_ms"):
        assert math.isfinite(figures[name]), name
