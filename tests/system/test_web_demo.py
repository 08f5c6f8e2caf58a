"""``plaza demo`` opens with the web app: its first line is the address, and the pages answer
while it runs (the marketplace with the devices' energy listings, the explorer, the docs)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def _get(url: str, within_s: float = 20.0) -> httpx.Response:
    """``url`` once it answers 200 (the devices need a few ticks to offer)."""
    deadline = time.monotonic() + within_s
    while True:
        reply = httpx.get(url, timeout=5, follow_redirects=True)
        if reply.status_code == 200 or time.monotonic() > deadline:
            return reply
        time.sleep(0.5)


def test_the_demo_prints_the_web_address_first_and_serves_the_pages(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "plaza.cli.main",
        "demo",
        "--data-dir",
        str(tmp_path),
        "--duration",
        "25",
        "--port",
        "0",
        "--web-port",
        "0",
        "--tick",
        "0.2",
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as demo:
        assert demo.stdout is not None
        first = demo.stdout.readline()
        found = re.match(r"Plaza (http://127\.0\.0\.1:\d+) ", first)
        assert found, first
        web = found.group(1)
        try:
            home = _get(web + "/")
            assert home.status_code == 200
            assert "Marketplace" in home.text
            deadline = time.monotonic() + 20
            market = _get(web + "/market?vertical=energy")
            while "coins per kWh" not in market.text and time.monotonic() < deadline:
                time.sleep(0.5)
                market = _get(web + "/market?vertical=energy&status=all")
            assert "coins per kWh" in market.text, "the devices' listings, in their units"
            listing = re.search(r'href="(/market/ord-\d+)"', market.text)
            assert listing
            assert "Digital twin" in _get(web + listing.group(1)).text
            assert _get(web + "/explorer").status_code == 200
            docs = _get(web + "/docs").text
            for api in re.findall(r'href="(http://127\.0\.0\.1:\d+)/docs"', docs):
                assert _get(api + "/docs").status_code == 200
        finally:
            demo.send_signal(signal.SIGINT)  # Ctrl-C: the demo stops everything, the web too
        assert demo.wait(timeout=60) == 0, demo.stderr.read() if demo.stderr else ""
