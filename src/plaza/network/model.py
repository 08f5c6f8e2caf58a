"""Peering configuration and what a node reports about its peers."""

from __future__ import annotations

from dataclasses import dataclass, field

from plaza.network.errors import InvalidPeerAddress

__all__ = ["GossipConfig", "PeerAddress", "PeerInfo"]


@dataclass(frozen=True, slots=True)
class PeerAddress:
    """A node to dial: its identity key and where it listens (``KEY_HEX@HOST:PORT``)."""

    public_key: bytes
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> PeerAddress:
        key_hex, at, location = text.strip().partition("@")
        host, colon, port_text = location.rpartition(":")
        if not at or not colon or not host:
            raise InvalidPeerAddress(text, "expected PUBLIC_KEY_HEX@HOST:PORT")
        try:
            key = bytes.fromhex(key_hex)
            port = int(port_text)
        except ValueError:
            raise InvalidPeerAddress(text, "key must be hex and port a number") from None
        if len(key) != 32 or not 0 < port < 65536:
            raise InvalidPeerAddress(text, "key must be 32 bytes and port 1 to 65535")
        return cls(key, host.strip("[]"), port)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}/api/v1/peering"

    def __str__(self) -> str:
        return f"{self.public_key.hex()}@{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class GossipConfig:
    """How a node peers. Every limit here bounds what one peer can make the node do."""

    peers: tuple[PeerAddress, ...] = ()
    allowed: frozenset[bytes] = frozenset()  # keys that may dial in, besides ``peers``
    status_interval_s: float = 0.5
    request_retry_s: float = 1.0
    reconnect_min_s: float = 0.2
    reconnect_max_s: float = 3.0
    ban_s: float = 60.0
    outbox_limit: int = 10_000
    inbox_limit: int = 20_000
    ingest_batch: int = 256
    penalty_invalid: int = 10
    penalty_bad_frame: int = 25
    disconnect_score: int = -100

    @property
    def allowlist(self) -> frozenset[bytes]:
        return self.allowed | {peer.public_key for peer in self.peers}


@dataclass(frozen=True, slots=True)
class PeerInfo:
    public_key: bytes
    dialed: bool
    score: int
    latest_milestone: int
    frames_in: int
    frames_out: int
    dropped: int
    counters: dict[str, int] = field(default_factory=dict)
