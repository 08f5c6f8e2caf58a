"""What peering needs of a WebSocket, so both ends of a link run the same code.

The accepting side gets Starlette's WebSocket (adapted in :mod:`plaza.api`);
the dialing side uses the ``websockets`` client, adapted here.
"""

from __future__ import annotations

from typing import Protocol

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed as WebsocketsClosed

from plaza.network.frames import MAX_FRAME_SIZE

__all__ = ["Connection", "ConnectionClosed", "dial"]


class ConnectionClosed(Exception):
    """The link is gone; ``code`` and ``reason`` are the peer's, when it gave them."""

    def __init__(self, code: int | None = None, reason: str = "") -> None:
        super().__init__(f"connection closed ({code}{': ' + reason if reason else ''})")
        self.code = code
        self.reason = reason


def _closed(error: WebsocketsClosed) -> ConnectionClosed:
    received = error.rcvd
    return ConnectionClosed(received.code, received.reason) if received else ConnectionClosed()


class Connection(Protocol):
    async def send(self, data: bytes) -> None:
        """Send one binary frame; raises :class:`ConnectionClosed`."""
        ...

    async def recv(self) -> bytes:
        """Receive one binary frame; raises :class:`ConnectionClosed`."""
        ...

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the link; closing twice is harmless."""
        ...


class _ClientConnection:
    def __init__(self, websocket: ClientConnection) -> None:
        self._websocket = websocket

    async def send(self, data: bytes) -> None:
        try:
            await self._websocket.send(data)
        except WebsocketsClosed as closed:
            raise _closed(closed) from None

    async def recv(self) -> bytes:
        try:
            data = await self._websocket.recv()
        except WebsocketsClosed as closed:
            raise _closed(closed) from None
        if isinstance(data, str):
            raise ConnectionClosed(1003)  # text frames are not part of the protocol
        return data

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self._websocket.close(code, reason)


async def dial(url: str, *, timeout: float = 5.0) -> Connection:
    """Open a peering link to ``ws://host:port/...``; frames over the limit close it."""
    websocket = await connect(url, max_size=MAX_FRAME_SIZE, open_timeout=timeout)
    return _ClientConnection(websocket)
