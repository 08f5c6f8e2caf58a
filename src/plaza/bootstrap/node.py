"""Node wiring: a node runtime and its gossip from :class:`~plaza.settings.NodeSettings`."""

from __future__ import annotations

from plaza.bootstrap.clock import SystemClock
from plaza.ledger.ports import TangleStore
from plaza.network import Gossip, GossipConfig, PeerAddress
from plaza.node import DataDir, FaucetPolicy, NodeConfig, NodeRuntime
from plaza.settings import NodeSettings
from plaza.storage import MemoryTangleStore
from plaza.storage.postgres import PostgresTangleStore
from plaza.storage.sqlite import SqliteTangleStore

__all__ = ["build_gossip", "build_node", "open_store"]


def open_store(settings: NodeSettings, data_dir: DataDir) -> TangleStore:
    match settings.store:
        case "sqlite":
            return SqliteTangleStore(data_dir.database)
        case "postgres":
            return PostgresTangleStore(
                settings.postgres_dsn.get_secret_value(), schema=settings.postgres_schema
            )
        case "memory":
            return MemoryTangleStore()


def build_node(settings: NodeSettings, *, clock: SystemClock | None = None) -> NodeRuntime:
    """A node for ``settings``: a devnet data directory is initialised on first run.

    The node runs a faucet exactly when its data directory holds a faucet key.
    """
    clock = clock or SystemClock()
    data_dir = DataDir(settings.data_dir)
    genesis = data_dir.init_devnet(settings.network, now_ms=clock.now_ms())
    coordinator_key = data_dir.key("coordinator")
    config = NodeConfig(
        pow_difficulty=settings.pow_difficulty,
        milestone_interval_s=settings.milestone_interval_s,
        coordinator=settings.coordinator and coordinator_key is not None,
        held_limit=settings.held_limit,
        held_per_client=settings.held_per_client,
        held_per_peer=settings.held_per_peer,
        held_ttl_s=settings.held_ttl_s,
        subscribers_per_client=settings.subscribers_per_client,
        subscribers_total=settings.subscribers_total,
        pow_requests_per_s=settings.pow_requests_per_s,
        pow_burst=settings.pow_burst,
        verify_workers=settings.verify_workers,
        faucet=FaucetPolicy(
            amount=settings.faucet_amount,
            address_interval_s=settings.faucet_interval_s,
            requests_per_s=settings.faucet_requests_per_s,
            burst=settings.faucet_burst,
        ),
    )
    return NodeRuntime(
        store=open_store(settings, data_dir),
        genesis=genesis,
        config=config,
        clock=clock,
        coordinator_keys=[coordinator_key] if coordinator_key else [],
        faucet_key=data_dir.key("faucet"),
    )


def build_gossip(settings: NodeSettings, runtime: NodeRuntime) -> Gossip:
    """Peering for ``runtime``: its identity from the data directory, peers from settings."""
    config = GossipConfig(
        peers=tuple(PeerAddress.parse(peer) for peer in settings.peers),
        allowed=frozenset(bytes.fromhex(key) for key in settings.allow_peers),
    )
    return Gossip(runtime, DataDir(settings.data_dir).node_key(), config)
