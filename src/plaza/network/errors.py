"""Why peering failed or a peer was dropped.

NetworkError
├── BadFrame            bytes from a peer that are no frame of this protocol
├── HandshakeFailed     wrong network, unknown or banned key, bad signature, timeout
└── InvalidPeerAddress  a configured peer is not ``PUBLIC_KEY_HEX@HOST:PORT``
"""

from __future__ import annotations


class NetworkError(Exception):
    """Base of the network layer's errors."""


class BadFrame(NetworkError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"bad frame: {reason}")
        self.reason = reason


class HandshakeFailed(NetworkError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"handshake failed: {reason}")
        self.reason = reason


class InvalidPeerAddress(NetworkError, ValueError):
    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"invalid peer address {text!r}: {reason}")
        self.reason = reason
