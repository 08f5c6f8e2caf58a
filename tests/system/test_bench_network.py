"""``plaza bench network --json`` runs a real devnet and prints the figures the issue asks for.

A smoke run on a tiny workload: it checks the command and its keys, not speed.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from node_processes import free_base_port

pytestmark = pytest.mark.slow

REQUIRED = {
    "propagation_p50_s",
    "propagation_p99_s",
    "transfer_confirm_p50_s",
    "transfer_confirm_p99_s",
    "confirmed_transfers_per_s",
    "states_identical",
}


def test_bench_network_prints_the_required_figures() -> None:
    command = [
        sys.executable,
        "-m",
        "plaza.cli.main",
        "bench",
        "network",
        "--json",
        "--pow-difficulty",
        "0",
        "--milestone-interval",
        "0.25",
        "--throughput-seconds",
        "1",
        "--latency-seconds",
        "1",
        "--propagation-samples",
        "5",
        "--base-port",
        str(free_base_port(3)),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=180)
    figures = json.loads(result.stdout)
    assert figures.keys() >= REQUIRED
    assert figures["states_identical"] is True
    assert figures["propagation_samples"] == 10  # 5 messages reached both other nodes
    assert 0 < figures["propagation_p50_s"] <= figures["propagation_p99_s"]
    assert figures["transfer_samples"] > 0
    assert figures["confirmed_transfers_per_s"] > 0
