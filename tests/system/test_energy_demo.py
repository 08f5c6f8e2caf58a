"""``plaza demo`` as the README runs it: a real process, a fresh data directory, then again.

The first run must show the whole lifecycle (at least one contract paid and
confirmed on the ledger), verify the twins of the last paid contracts with the
marketplace's audit, and print the summary the issue names; the other verticals
run beside it: a dozen city sensors announced (on the web app's /streams map while
it runs) and publishing, two streams bought and read, services called, paid and
(every fourth call) refunded, a festival's coverage ordered from two operators'
assets and paid once the orchestrator configured access. The second run reopens the
same data directory: same owners, devices, sensors and assets, figures carried on.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from plaza.streams.city import city_configs

pytestmark = pytest.mark.slow

KEYS = {"offers", "requests", "contracts", "contracts_paid", "claims", "ledger_messages"}


TRONDHEIM = (63.4305, 10.3951)


def _demo(
    data_dir: Path, seconds: int, while_running: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Run ``plaza demo`` for ``seconds``; ``while_running`` is given the web address as
    soon as it is printed, and runs while the demo does."""
    command = [sys.executable, "-m", "plaza.cli.main", "demo", "--data-dir", str(data_dir)]
    options = ["--duration", str(seconds), "--json", "--port", "0", "--web-port", "0"]
    with subprocess.Popen(
        [*command, *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        first = process.stderr.readline()
        # The rest is read through the same buffered streams: communicate() would read the
        # file descriptors beneath them and lose whatever readline() had already buffered.
        with ThreadPoolExecutor(2) as readers:
            out, err = readers.submit(process.stdout.read), readers.submit(process.stderr.read)
            if while_running is not None and first.startswith("Plaza "):
                while_running(first.split()[1])
            try:
                process.wait(timeout=seconds + 90)
            except subprocess.TimeoutExpired:
                process.kill()  # so that the readers reach the end of the pipes
                raise
            stdout, stderr = out.result(), err.result()
    assert process.returncode == 0, (first + stderr)[-3000:]
    assert stdout.count("\n") == 1, "with --json, stdout is the summary alone"
    summary: dict[str, Any] = json.loads(stdout)
    assert first.startswith(f"Plaza {summary['web']} "), "the web address first"
    assert f"city sensors       {summary['web']}/streams" in stderr, "where the sensors show"
    return summary


def _sensors_on_the_map(web: str) -> None:
    """The web app's /streams map lists the demo's twelve sensors, around Trondheim, and each
    has its page."""
    deadline = time.monotonic() + 30
    while True:
        found = httpx.get(f"{web}/streams/sensors.json", timeout=10).json()["sensors"]
        if len(found) == 12 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert sorted(s["name"] for s in found) == sorted(c.name for c in city_configs(12, *TRONDHEIM))
    for sensor in found:
        assert math.dist((sensor["lat"], sensor["lon"]), TRONDHEIM) < 0.05
    assert "traffic-04" in httpx.get(f"{web}/streams", timeout=10).text
    page = httpx.get(f"{web}/streams/{found[0]['id']}", timeout=10)
    assert page.status_code == 200
    assert found[0]["name"] in page.text


def _telco_on_its_pages(web: str) -> None:
    """The web app's /telco shows the telco demo's four assets (they trade on the marketplace
    the web app is connected to) with their offers as cards, and each asset has its page."""
    deadline = time.monotonic() + 30
    while True:
        page = httpx.get(f"{web}/telco", timeout=10).text
        if "Offers (0)" not in page or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    names = ("Solsiden rooftop", "Torget small cell", "Munkholmen drone cell", "Brattøra fibre")
    for name in names:
        assert name in page, name
    assert "Offers (0)" not in page, "the operators offered their assets"
    asset = re.search(r'href="/telco/assets/([^"]+)"', page)
    assert asset is not None
    assert httpx.get(f"{web}/telco/assets/{asset.group(1)}", timeout=10).status_code == 200


def _listed(web: str, vertical: str) -> list[str]:
    page = httpx.get(f"{web}/market", params={"vertical": vertical}, timeout=10)
    assert page.status_code == 200, page.text
    return [id for id in re.findall(r'<a href="/market/([^"?/]+)">', page.text) if id != "map"]


def _every_vertical_on_the_market(web: str) -> None:
    """The public marketplace lists the one market's listings beside energy's book: the
    sensors' standing offers, the services and the operators' telco offers, each with its page."""
    for vertical in ("energy", "stream", "service", "telco"):
        listed = _listed(web, vertical)
        assert listed, f"no {vertical} listing on /market"
        assert httpx.get(f"{web}/market/{listed[0]}", timeout=10).status_code == 200


def _while_running(web: str) -> None:
    _sensors_on_the_map(web)
    _telco_on_its_pages(web)
    _every_vertical_on_the_market(web)


def _the_verticals_ran(summary: dict[str, Any]) -> None:
    assert summary["streams_sensors"] == 12
    assert summary["streams_readings"] >= 12, "every sensor published"
    assert summary["streams_bought"] >= 2, "two streams bought"
    assert summary["streams_readings_read"] >= 1, "and read"
    assert summary["streams_contracts_paid"] >= 2, "bought as marketplace contracts"
    assert summary["services_providers"] == 3
    assert summary["services_calls_paid"] >= 1, summary
    assert summary["services_calls_refunded"] >= 1, "the fourth call has no road: refunded"
    assert summary["services_coins_paid"] > 0
    assert summary["telco_assets"] == 4, "two operators' assets around Trondheim"
    assert summary["telco_orders"] >= 1, "the festival ordered coverage"
    assert summary["telco_coins_paid"] > 0, "the orchestrator configured access: paid"


def test_the_demo_pays_a_contract_and_a_second_run_carries_on(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    first = _demo(data_dir, 40, _while_running)
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
    _the_verticals_ran(first)
    assert second["streams_sensors"] == 12, "the same sensors, not twelve more"
    assert second["streams_readings"] > first["streams_readings"]
    assert second["services_calls_paid"] >= first["services_calls_paid"]
    assert second["telco_assets"] == 4, "the same assets, not four more"
    assert second["telco_orders"] > first["telco_orders"]
