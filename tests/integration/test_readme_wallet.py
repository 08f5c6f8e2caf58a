"""The README's wallet walkthrough, run as written: real ``plaza`` processes, a live node.

Each ``bash`` block of the README's "Wallet" section runs in a fresh directory
whose ``.venv`` links to this checkout's, so ``.venv/bin/plaza`` is the real
command. Only ``PLAZA_NODE`` points it at the test node instead of port 8650.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from node_server import RunningNode, node_settings, serve_node

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
FAUCET_AMOUNT = 1_000_000  # the README's figure, and the node's default


def wallet_blocks() -> list[str]:
    text = README.read_text()
    section = text.split("\n## Wallet\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, re.DOTALL)


@pytest.fixture
def readme_node(tmp_path: Path) -> Iterator[RunningNode]:
    settings = node_settings(tmp_path / "node").model_copy(update={"faucet_amount": FAUCET_AMOUNT})
    with serve_node(settings) as running:
        yield running


def run_blocks(blocks: list[str], cwd: Path, node_url: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAZA_")}
    env["PLAZA_NODE"] = node_url
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", "\n".join(blocks)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


@pytest.mark.slow
def test_readme_wallet_walkthrough(readme_node: RunningNode, tmp_path: Path) -> None:
    blocks = wallet_blocks()
    assert len(blocks) == 2, "the walkthrough and the receive/history block"
    home = tmp_path / "user"
    home.mkdir()
    (home / ".venv").symlink_to(Path(sys.executable).parents[1])

    output = run_blocks(blocks, home, readme_node.url)

    balances = [int(n) for n in re.findall(r"^balance: (\d+) confirmed", output, re.M)]
    assert balances == [FAUCET_AMOUNT - 250_000, 250_000]
    assert len(re.findall(r"^\s*\d+\. [a-z]+", output, re.M)) == 2 * 24 // 4  # two phrases
    assert "▀" in output  # the QR code
    assert re.search(r"-250000\s+confirmed at milestone \d+", output)
    assert re.search(r"\+1000000\s+confirmed at milestone \d+", output)
    with readme_node.client() as client:
        [bob] = re.findall(r"sent 250000 from \S+ in message (\w+): confirmed", output)
        assert client.metadata(bob).milestone_index is not None
