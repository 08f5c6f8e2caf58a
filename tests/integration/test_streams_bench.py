"""``plaza bench streams`` on a small plan: every figure measured, no revoked read."""

from __future__ import annotations

import json
import math

from typer.testing import CliRunner

from plaza.cli.main import app


def test_the_streams_benchmark_prints_its_figures_and_no_lapsed_buyer_reads_on() -> None:
    options = ["--sensors", "3", "--buyers", "2", "--interval", "0.5", "--seconds", "5"]
    result = CliRunner().invoke(app, ["bench", "streams", "--json", *options, "--followers", "2"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.splitlines()[0])
    assert figures["revoked_reads"] == 0
    assert figures["grants"] == 6
    assert figures["readings"] >= 3 * 5
    assert figures["confirmed_sampled"] == 1.0
    assert figures["delivery_samples"] > 0
    for name in ("readings_per_s", "delivery_p99_s", "grant_after_payment_p50_s"):
        assert math.isfinite(figures[name]), name
    assert figures["grant_after_payment_p50_s"] < 5
