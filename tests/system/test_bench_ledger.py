"""``plaza bench ledger --json`` prints one JSON object with the figures the issue asks for.

This checks the command and its keys on a tiny workload, not any speed: speed
goals are read off the benchmark's own output, never asserted in a test.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

REQUIRED = {
    "ingest_per_s",
    "ed25519_verify_per_s",
    "ingest_to_verify_ratio",
    "confirm_latency_p50_s",
    "confirm_latency_p99_s",
    "milestone_interval_s",
    "idle_subscribers_ingest_ratio",
    "orphan_flood_legit_accepted",
}


def test_bench_ledger_prints_the_required_figures() -> None:
    command = [
        sys.executable,
        "-m",
        "plaza.cli.main",
        "bench",
        "ledger",
        "--json",
        "--messages",
        "200",
        "--pow-difficulty",
        "4",
        "--milestone-interval",
        "0.2",
        "--latency-seconds",
        "1",
        "--idle-subscribers",
        "50",
        "--orphans",
        "1500",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    figures = json.loads(result.stdout)
    assert figures.keys() >= REQUIRED
    assert figures["messages"] == 200
    assert figures["confirmed_samples"] > 0
    assert figures["ingest_per_s"] > 0
    assert figures["ingest_to_verify_ratio"] == pytest.approx(
        figures["ingest_per_s"] / figures["ed25519_verify_per_s"], rel=0.01
    )
    assert 0 < figures["confirm_latency_p50_s"] <= figures["confirm_latency_p99_s"]
    assert figures["idle_subscribers_connected"] == 8  # the per-client cap of the 50 opened
    assert figures["idle_subscribers_ingest_ratio"] > 0
    assert figures["orphan_flood_legit_accepted"] is True
