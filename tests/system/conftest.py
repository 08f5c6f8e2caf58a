"""Fixtures of real node processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from node_processes import NodeProcess


@pytest.fixture
def node_process(tmp_path: Path) -> Iterator[NodeProcess]:
    node = NodeProcess(tmp_path / "node")
    try:
        yield node
    finally:
        node.stop()
