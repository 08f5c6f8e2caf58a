"""Gossip between nodes: authenticated peering, message exchange, catch-up and peer scoring.

:class:`Gossip` runs beside a :class:`~plaza.node.NodeRuntime`; the API serves its
WebSocket endpoint and it dials its configured peers itself. The frames and the
handshake are specified in ``docs/protocol.md`` (Peering).
"""

from plaza.network.errors import BadFrame, HandshakeFailed, InvalidPeerAddress, NetworkError
from plaza.network.gossip import Gossip
from plaza.network.model import GossipConfig, PeerAddress, PeerInfo
from plaza.network.transport import Connection, ConnectionClosed

__all__ = [
    "BadFrame",
    "Connection",
    "ConnectionClosed",
    "Gossip",
    "GossipConfig",
    "HandshakeFailed",
    "InvalidPeerAddress",
    "NetworkError",
    "PeerAddress",
    "PeerInfo",
]
