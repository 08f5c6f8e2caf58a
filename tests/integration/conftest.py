"""Fixtures: one node per test module (started in a fraction of a second), a client per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from node_server import RunningNode, node_settings, serve_node

from plaza.client import NodeClient


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNode]:
    """The node a module's tests share; each test uses its own tags, keys and addresses."""
    with serve_node(node_settings(tmp_path_factory.mktemp("node"))) as running:
        yield running


@pytest.fixture
def client(node: RunningNode) -> Iterator[NodeClient]:
    with node.client() as node_client:
        yield node_client
