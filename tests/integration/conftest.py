"""Fixtures: one node per test module (started in a fraction of a second), a client per test;
one marketplace per test module, with its cast of participants."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from market_server import MarketWorld, RunningMarket, market_world, serve_market
from node_server import RunningNode, node_settings, serve_node

from plaza.clients.node import NodeClient


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNode]:
    """The node a module's tests share; each test uses its own tags, keys and addresses."""
    with serve_node(node_settings(tmp_path_factory.mktemp("node"))) as running:
        yield running


@pytest.fixture
def client(node: RunningNode) -> Iterator[NodeClient]:
    with node.client() as node_client:
        yield node_client


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMarket]:
    """The marketplace a module's tests share; each test trades its own kinds. Its webhook
    receivers listen on 127.0.0.1, so private callbacks are allowed here."""
    with serve_market(tmp_path_factory.mktemp("market"), allow_private_callbacks=True) as running:
        yield running


@pytest.fixture(scope="module")
def world(market: RunningMarket) -> Iterator[MarketWorld]:
    cast = market_world(market)
    try:
        yield cast
    finally:
        cast.close()
