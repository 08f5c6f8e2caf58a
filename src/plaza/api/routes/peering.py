"""Peering: the WebSocket other nodes dial, and the list of this node's peers."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from pydantic import BaseModel

from plaza.api.errors import RequestProblem, error_responses
from plaza.network import ConnectionClosed, Gossip, HandshakeFailed

__all__ = ["router"]

router = APIRouter(tags=["peering"])


class PeerView(BaseModel):
    public_key: str
    dialed: bool
    score: int
    latest_milestone: int
    frames_in: int
    frames_out: int
    dropped: int
    penalties: dict[str, int]


class PeersView(BaseModel):
    node_id: str
    peers: list[PeerView]
    statistics: dict[str, int]


class _StarletteConnection:
    """Starlette's server-side WebSocket as a :class:`plaza.network.Connection`."""

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket

    async def send(self, data: bytes) -> None:
        try:
            await self._websocket.send_bytes(data)
        except (WebSocketDisconnect, RuntimeError):
            raise ConnectionClosed from None

    async def recv(self) -> bytes:
        message = await self._websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise ConnectionClosed(message.get("code"), message.get("reason") or "")
        data = message.get("bytes")
        if data is None:
            raise ConnectionClosed(1003)  # text frames are not part of the protocol
        return bytes(data)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        with contextlib.suppress(RuntimeError):
            await self._websocket.close(code, reason)


def _gossip(request_app_state: object) -> Gossip | None:
    gossip = getattr(request_app_state, "gossip", None)
    return gossip if isinstance(gossip, Gossip) else None


@router.websocket("/peering")
async def peering(websocket: WebSocket) -> None:
    """A node dialing in: handshake, then frames both ways until either side leaves."""
    gossip = _gossip(websocket.app.state)
    await websocket.accept()
    connection = _StarletteConnection(websocket)
    if gossip is None:
        await connection.close(1008, "this node does not peer")
        return
    try:
        await gossip.accept(connection)
    except HandshakeFailed as error:
        await connection.close(1008, error.reason[:100])


@router.get("/peers", responses=error_responses(404))
async def list_peers(request: Request) -> PeersView:
    """Connected peers with their scores; what an operator checks first."""
    gossip = _gossip(request.app.state)
    if gossip is None:
        raise RequestProblem(404, "not_found", "this node runs without peering")
    return PeersView(
        node_id=gossip.public_key.hex(),
        peers=[
            PeerView(
                public_key=peer.public_key.hex(),
                dialed=peer.dialed,
                score=peer.score,
                latest_milestone=peer.latest_milestone,
                frames_in=peer.frames_in,
                frames_out=peer.frames_out,
                dropped=peer.dropped,
                penalties=peer.counters,
            )
            for peer in gossip.peers()
        ],
        statistics=gossip.statistics(),
    )
