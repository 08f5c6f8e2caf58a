"""Fixtures: one node per test module (started in a fraction of a second), a client per test;
one marketplace per test module, with its cast of participants; the energy demo and Alice
logged in to its web app, for the dashboard's tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from account_site import log_in
from market_server import MarketWorld, RunningMarket, market_world, serve_market
from node_server import RunningNode, node_settings, serve_node

from plaza.bootstrap.energy_demo import DemoSettings, EnergyDemo
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


@pytest.fixture(scope="module")
def energy_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EnergyDemo]:
    """``plaza demo``'s energy part in this process (node, modules, market, web app on free
    ports, devices ticking every 0.2 s), for the tests of its dashboard pages."""
    settings = DemoSettings(
        data_dir=tmp_path_factory.mktemp("demo"), node_port=0, web_port=0, tick_s=0.2
    )
    running = EnergyDemo(settings)
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def alice(energy_demo: EnergyDemo) -> Iterator[httpx.Client]:
    """A client of the demo's web app logged in as its first owner, Alice."""
    login = next(login for login in energy_demo.logins if login.email == "alice@example.org")
    assert login.password is not None
    with httpx.Client(base_url=energy_demo.web_url, timeout=30) as http:
        assert log_in(http, login.email, login.password).status_code in (200, 303)
        yield http
