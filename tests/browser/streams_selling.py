"""A sensor selling through a marketplace, and the web app beside them, for the streams
browser tests: a node, a marketplace on it, the sensor agent (selling there only, its
readings on its channel) running in a thread, and the web app relaying to the market."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from market_server import serve_market
from node_server import node_settings, serve_node
from web_server import RunningWeb, memory_accounts, serve_web_app

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.clock import SystemClock
from plaza.streams.sensor import SensorAgent, SensorConfig, SensorHome

__all__ = ["Selling", "selling_sensor"]

CLOCK = SystemClock()


@dataclass
class Selling:
    web: RunningWeb
    market: str
    agent: SensorAgent


@contextmanager
def selling_sensor(folder: Path, config: SensorConfig) -> Iterator[Selling]:
    """Everything started in ``folder``; stopped in reverse on leaving."""
    for part in ("node", "market", "sensor"):
        (folder / part).mkdir()
    with (
        serve_node(node_settings(folder / "node")) as node,
        serve_market(folder / "market", node_url=node.url) as market,
        node.client() as client,
    ):
        gateway = RemoteLedger(client, clock=CLOCK)
        home = SensorHome(folder / "sensor")
        agent = SensorAgent.open(home, gateway, config, clock=CLOCK, market_url=market.url)
        stop = threading.Event()
        thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
        thread.start()
        try:
            genesis = client.milestone(1).message_id.hex()
            accounts = memory_accounts(CLOCK)
            with serve_web_app(node.url, genesis, accounts=accounts, market_url=market.url) as web:
                yield Selling(web, market.url, agent)
        finally:
            stop.set()
            thread.join(timeout=10)
            agent.close()
