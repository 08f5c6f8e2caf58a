"""The README's examples run as written: the Python example against a live node, and the
auditor example (a bash block) against a marketplace and node the test starts.

Issue 16: "the README's auditor example answers 401, and no documented command
makes anyone an auditor". The README's bash block that makes an auditor is run
with bash from a fresh directory, against a real node and a real marketplace
whose data directory and URL are given through the documented environment
(``PLAZA_MARKET_DATA_DIR``, ``PLAZA_MARKET_URL``); the only text replaced is
``.venv/bin/plaza`` (this checkout's) and the ``CONTRACT_ID`` placeholder (a
contract the test made, its twin on the ledger).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from market_server import RunningMarket, serve_market
from node_server import RunningNode

from plaza.bootstrap import SystemClock
from plaza.clients.market import OrderTerms
from plaza.crypto import Identity
from plaza.market.auth import Role
from plaza.market.model import Side

README = Path(__file__).parents[2] / "README.md"
PLAZA = Path(sys.executable).parent / "plaza"
HOUR_MS = 3_600_000
TIMEOUT_S = 30.0


def test_readme_python_example_runs(node: RunningNode) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)
    assert blocks, "the README has no Python example"
    for block in blocks:
        code = block.replace("http://127.0.0.1:8650", node.url)
        exec(compile(code, str(README), "exec"), {})  # running our own README, on purpose


def auditor_block() -> str:
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), re.DOTALL)
    [block] = [block for block in blocks if "plaza market auditor add" in block]
    return block


@pytest.fixture
def market(node: RunningNode, tmp_path: Path) -> Iterator[RunningMarket]:
    with serve_market(tmp_path / "market-data", node_url=node.url) as running:
        yield running


def _contract_on_the_ledger(market: RunningMarket) -> str:
    """A contract between two participants, once its twin is on the ledger and audits clean."""
    now = SystemClock().now_ms()
    with market.client(Identity.generate()) as solar, market.client(Identity.generate()) as ev:
        solar.register("solar", roles=[Role.PROVIDER])
        ev.register("ev", roles=[Role.CONSUMER])
        solar.submit(Side.OFFER, OrderTerms("energy", 50, 9, now, now + HOUR_MS))
        request = OrderTerms("energy", 20, 10, now, now + HOUR_MS)
        [record] = ev.submit(Side.REQUEST, request).contracts
    contract_id = record.signed.match.id
    auditor = market.runtime.services.auditor
    assert auditor is not None
    deadline = time.monotonic() + TIMEOUT_S
    while not auditor.audit_contract(contract_id).clean:
        assert time.monotonic() < deadline, "the contract's twin never reached the ledger"
        time.sleep(0.1)
    return contract_id


def test_the_readme_auditor_example_runs_as_written(market: RunningMarket, tmp_path: Path) -> None:
    contract_id = _contract_on_the_ledger(market)
    block = auditor_block().replace(".venv/bin/plaza", str(PLAZA))
    block = block.replace("CONTRACT_ID", contract_id)
    where = tmp_path / "cwd"
    where.mkdir()
    env = {
        **os.environ,
        "PLAZA_MARKET_DATA_DIR": str(market.data_dir),
        "PLAZA_MARKET_URL": market.url,
    }
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "roles        operator" in done.stdout
    assert "roles        auditor" in done.stdout
    assert f"contract {contract_id}: clean" in done.stdout
    assert (where / ".plaza" / "auditor" / "identity.key").stat().st_mode & 0o077 == 0


def test_an_auditor_cannot_make_itself(market: RunningMarket, tmp_path: Path) -> None:
    """The README's claim: registering as an auditor without an operator is refused."""
    home = str(tmp_path / "self")
    done = subprocess.run(
        [str(PLAZA), "market", "register", "--home", home, "--name", "me", "--role", "auditor"],
        env={**os.environ, "PLAZA_MARKET_URL": market.url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "operator" in done.stderr
