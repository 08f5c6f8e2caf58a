"""What ``plaza stack up`` runs, in order, and how it knows each one serves.

N nodes (node 0 coordinates and holds the faucet, as in ``plaza devnet``), each with its
tangle in PostgreSQL in a schema of its own; the marketplace on PostgreSQL (its own
schema) with its jobs on Redis and its notifications on MQTT; the web app against the
marketplace and a node (its accounts in a schema of their own); a service provider
selling the demo's forecast per call and a city air sensor publishing readings, both
listed on the marketplace; and a device on MQTT, a simulated noise meter publishing its
readings to the broker, which a second sensor agent takes from there and sells. Every
child is a ``plaza`` command a person could run on another machine with the same options
(docs/operations.md).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

from plaza.bootstrap.market_files import MarketDataDir
from plaza.cli._stack_processes import Child
from plaza.devnet import Devnet

__all__ = ["LEFT_OUT", "MARKET_WORKERS", "StackConfig", "meter_topic", "plan", "prepare_schemas"]

#: How many processes serve the marketplace, taking turns at its book on PostgreSQL.
WORKERS = 2
#: Said in the banner.
MARKET_WORKERS = f"{WORKERS} workers taking turns at the book on PostgreSQL"
#: Said in the banner: what the demo runs that the stack does not, and why.
LEFT_OUT = (
    "energy: its devices trade through energy's marketplace backend, bid manager and user "
    "module, which run only inside plaza demo, not against a standalone marketplace"
)
_SENSOR = ("stack air sensor", "63.4305", "10.3951")  # Trondheim
_NOISE = ("stack noise meter", "63.4297", "10.3933")


@dataclass(frozen=True, slots=True)
class StackConfig:
    home: Path
    postgres: str
    redis: str
    mqtt_host: str
    mqtt_port: int
    nodes: int
    base_port: int
    web_port: int
    prefix: str  # of the PostgreSQL schemas: <prefix>_node_<i>, <prefix>_market, …

    def schema(self, part: str) -> str:
        return f"{self.prefix}_{part}"

    @property
    def market_url(self) -> str:
        return f"http://127.0.0.1:{self.base_port + 10}"

    def node_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.base_port + index % self.nodes}"


def prepare_schemas(config: StackConfig) -> None:
    """The marketplace's schema, which it expects to exist (nodes and the web app make
    their own); a server that does not answer is a :class:`psycopg.Error`."""
    with psycopg.connect(config.postgres, autocommit=True, connect_timeout=5) as connection:
        name = sql.Identifier(config.schema("market"))
        connection.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(name))


def _plaza(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "plaza.cli.main", *arguments]


def _answers(url: str, check: Callable[[httpx.Response], bool] = lambda r: r.is_success) -> bool:
    try:
        return check(httpx.get(url, timeout=1.0))
    except (httpx.HTTPError, ValueError, KeyError):
        return False


def _nodes(config: StackConfig) -> list[Child]:
    devnet = Devnet(config.home / "nodes", nodes=config.nodes, base_port=config.base_port)
    children = []
    for node in devnet.nodes:
        expected = node.public_key.hex()

        def ready(child: Child, expected: str = expected) -> bool:
            return _answers(
                f"{child.url}/api/v1/peers", lambda r: r.json().get("node_id") == expected
            )

        environment = {
            "PLAZA_POSTGRES_DSN": config.postgres,
            "PLAZA_POSTGRES_SCHEMA": config.schema(f"node_{node.index}"),
        }
        command = [*devnet.command(node), "--store", "postgres"]
        children.append(
            Child(f"node-{node.index}", command, environment, node.port, ready, node.url)
        )
    return children


def _market(config: StackConfig) -> Child:
    data = config.home / "market"
    address = str(MarketDataDir(data).identity().address)  # made here on the first run

    def ready(child: Child) -> bool:
        info = f"{child.url}/api/v1/market/info"
        return _answers(info, lambda r: r.json().get("marketplace_id") == address)

    command = _plaza(
        "market",
        "run",
        "--data-dir",
        str(data),
        "--port",
        str(config.base_port + 10),
        "--node-url",
        config.node_url(0),
        "--jobs",
        "redis",
        "--workers",
        str(WORKERS),
    )
    environment = {
        "PLAZA_MARKET_DATABASE_URL": config.postgres,
        "PLAZA_MARKET_DATABASE_SCHEMA": config.schema("market"),
        "PLAZA_MARKET_REDIS_URL": config.redis,
        "PLAZA_MARKET_MQTT_HOST": config.mqtt_host,
        "PLAZA_MARKET_MQTT_PORT": str(config.mqtt_port),
    }
    return Child("market", command, environment, config.base_port + 10, ready, config.market_url)


def _web(config: StackConfig) -> Child:
    url = f"http://127.0.0.1:{config.web_port}"
    command = _plaza(
        "web",
        "run",
        "--market",
        config.market_url,
        "--node",
        config.node_url(1),
        "--port",
        str(config.web_port),
        "--data-dir",
        str(config.home / "web"),
    )
    environment = {
        "PLAZA_WEB_ACCOUNTS_URL": config.postgres,
        "PLAZA_WEB_ACCOUNTS_SCHEMA": config.schema("accounts"),
    }

    def ready(child: Child) -> bool:
        return child.saw(f"Plaza web {url}") and _answers(f"{url}/market")

    return Child("web", command, environment, config.web_port, ready, url)


def _service(config: StackConfig) -> Child:
    port = config.base_port + 21
    command = _plaza(
        "service",
        "run",
        "plaza.bootstrap.services_catalog:forecast",
        "--data",
        str(config.home / "service-forecast"),
        "--node",
        config.node_url(0),
        "--port",
        str(port),
        "--market",
        config.market_url,
    )
    url = f"http://127.0.0.1:{port}"
    return Child("service", command, {}, port, lambda c: _answers(f"{url}/service"), url)


def _sensor_run(
    config: StackConfig, who: tuple[str, str, str], price: str, folder: str, node: int
) -> list[str]:
    """``plaza sensor run`` for the sensor ``who`` (name, latitude, longitude), selling at
    ``price`` through the stack's marketplace, its data in ``folder`` of the stack's home."""
    name, lat, lon = who
    return _plaza(
        "sensor",
        "run",
        *("--name", name, "--lat", lat, "--lon", lon, "--price", price, "--interval", "5"),
        *("--data", str(config.home / folder), "--node", config.node_url(node)),
        *("--market", config.market_url),
    )


def _sensor(config: StackConfig) -> Child:
    command = _sensor_run(config, _SENSOR, "600", "sensor-air", config.nodes - 1)
    return Child("sensor", command, {}, None, lambda child: child.saw("sensor   "))


def meter_topic(config: StackConfig) -> str:
    """The stack's meter's topic, one per stack (its prefix), so stacks on one broker part."""
    return f"plaza/stack/{config.prefix}/noise"


def _meter(config: StackConfig) -> Child:
    """A device on MQTT: a simulated noise meter publishing a reading every 2 s."""
    mqtt = f"{config.mqtt_host}:{config.mqtt_port}"
    command = _plaza("stack", "meter", "--mqtt", mqtt, "--topic", meter_topic(config))
    return Child("meter", command, {}, None, lambda child: child.saw("meter "))


def _meter_sensor(config: StackConfig) -> Child:
    """The sensor agent selling the meter's readings, taken from MQTT, as a stream."""
    source = f"{config.mqtt_host}:{config.mqtt_port}/{meter_topic(config)}"
    command = [
        *_sensor_run(config, _NOISE, "300", "sensor-noise", 0),
        *("--mqtt", source, "--types", "laeq:dB(A)"),
    ]
    return Child("sensor-noise", command, {}, None, lambda child: child.saw("sensor   "))


def plan(config: StackConfig) -> list[Child]:
    """The stack's children in the order they start (and the reverse of their stop)."""
    agents = [_service(config), _sensor(config), _meter(config), _meter_sensor(config)]
    return [*_nodes(config), _market(config), _web(config), *agents]
