"""A devnet reports a node that could not start at once, whichever node it is.

The nodes are watched together: a later node that exits (its port taken by another
program) is reported as soon as it exits, not after an earlier node's whole timeout,
which on a loaded machine could run out first and blame the wrong port.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from plaza.devnet import Devnet, DevnetError


def test_a_node_that_exits_is_named_while_an_earlier_one_is_still_starting(
    tmp_path: Path,
) -> None:
    devnet = Devnet(tmp_path, nodes=2, base_port=1)
    starting, failed = devnet.nodes
    (tmp_path / "node-1.log").write_text("address already in use\n")
    sleeper = [sys.executable, "-c", "import time; time.sleep(30)"]
    starting.process = subprocess.Popen(sleeper)  # never answers, as a slow node
    failed.process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(1)"])
    began = time.monotonic()
    try:
        with pytest.raises(DevnetError, match=r"node 1 \(port 2\) exited with code 1") as error:
            devnet.wait_healthy(*devnet.nodes, timeout=20)
    finally:
        starting.process.kill()
        starting.process.wait()
    assert "address already in use" in str(error.value)
    assert time.monotonic() - began < 10, "named when it exited, not after node 0's timeout"
