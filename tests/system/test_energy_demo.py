"""``plaza demo`` as the README runs it: a real process, a fresh data directory, then again.

The first run must show the whole lifecycle (at least one contract paid and
confirmed on the ledger), verify the twins of the last paid contracts with the
marketplace's audit, and print the summary the issue names; the second run
reopens the same data directory: same owners and devices, figures carried on.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

KEYS = {"offers", "requests", "contracts", "contracts_paid", "claims", "ledger_messages"}


def _demo(data_dir: Path, seconds: int) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "plaza.cli.main",
            "demo",
            "--data-dir",
            str(data_dir),
            "--duration",
            str(seconds),
            "--json",
            "--port",
            "0",
            "--web-port",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 90,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("\n") == 1, "with --json, stdout is the summary alone"
    summary: dict[str, Any] = json.loads(done.stdout)
    web = summary["web"]
    assert done.stderr.splitlines()[0].startswith(f"Plaza {web} "), "the web address first"
    return summary


def test_the_demo_pays_a_contract_and_a_second_run_carries_on(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    first = _demo(data_dir, 40)
    assert first.keys() >= KEYS
    assert first["contracts_paid"] >= 1, first
    assert first["contracts"] >= first["contracts_paid"]
    assert first["offers"] >= first["contracts"]
    assert first["ledger_messages"] > 0
    assert first["audited"] >= 1
    assert first["audits_ok"] == first["audited"], "every audited contract's twins verify"
    assert first["energy_contracted_wh"] > 0, "the trade in its units: Wh, coins, coins per kWh"
    assert first["value_contracted_coins"] > 0
    price = first["value_contracted_coins"] * 1000 / first["energy_contracted_wh"]
    assert first["mean_price_coins_per_kwh"] == round(price, 1)
    state = json.loads((data_dir / "demo.json").read_text())
    second = _demo(data_dir, 8)
    assert json.loads((data_dir / "demo.json").read_text()) == state, "same owners and devices"
    for key in KEYS:
        assert second[key] >= first[key], key
    assert second["ledger_messages"] > first["ledger_messages"]
