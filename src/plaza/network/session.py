"""One authenticated link to a peer: frames in, frames out, and the peer's score.

Reading and writing run as two tasks so a slow peer cannot stall the reader.
What a peer can cost the node is bounded: its outbox has a fixed size (frames
beyond it are dropped and recovered later by requests), every frame is size
checked, and each invalid message or frame lowers its score until it is
disconnected and banned.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter, OrderedDict
from typing import TYPE_CHECKING

from plaza.network.errors import BadFrame
from plaza.network.frames import MAX_FRAME_SIZE, Frame, decode_frame, encode_frame
from plaza.network.model import PeerInfo
from plaza.network.transport import Connection, ConnectionClosed

if TYPE_CHECKING:
    from plaza.network.gossip import Gossip

__all__ = ["PeerSession", "RecentIds"]

MAX_SCORE = 100
POLICY_VIOLATION = 1008


class RecentIds:
    """A bounded set that forgets the oldest ids first."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._ids: OrderedDict[bytes, None] = OrderedDict()

    def __contains__(self, item: object) -> bool:
        return item in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, item: bytes) -> None:
        self._ids[item] = None
        self._ids.move_to_end(item)
        if len(self._ids) > self._limit:
            self._ids.popitem(last=False)

    def discard(self, item: bytes) -> None:
        self._ids.pop(item, None)


class PeerSession:
    def __init__(
        self, gossip: Gossip, connection: Connection, public_key: bytes, *, dialed: bool
    ) -> None:
        self._gossip = gossip
        self._connection = connection
        self.public_key = public_key
        self.dialed = dialed
        self.score = 0
        self.latest_milestone = 0
        self.known = RecentIds(50_000)  # ids this peer has or was sent: not sent again
        self.counters: Counter[str] = Counter()
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue(gossip.config.outbox_limit)
        self._closing = False

    def send(self, frame: Frame) -> None:
        """Queue a frame; when the peer lags so far that the outbox is full, drop it."""
        try:
            self._outbox.put_nowait(encode_frame(frame))
        except asyncio.QueueFull:
            self.counters["dropped_out"] += 1

    def reward(self) -> None:
        self.score = min(MAX_SCORE, self.score + 1)

    def penalize(self, points: int, reason: str) -> None:
        """Lower the score; at the threshold the peer is banned and the link closed."""
        self.score -= points
        self.counters[f"penalty:{reason}"] += 1
        if self.score <= self._gossip.config.disconnect_score and not self._closing:
            self._closing = True
            self._gossip.ban(self.public_key, reason)
            asyncio.get_running_loop().create_task(self.close(POLICY_VIOLATION, reason))

    async def run(self) -> None:
        writer = asyncio.create_task(self._write_loop())
        try:
            await self._read_loop()
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            await self.close()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self._closing = True
        with contextlib.suppress(ConnectionClosed, RuntimeError, OSError):
            await self._connection.close(code, reason[:100])

    async def _read_loop(self) -> None:
        while not self._closing:
            try:
                data = await self._connection.recv()
            except ConnectionClosed as closed:
                if closed.code == 1009:  # the transport refused an oversized frame
                    self.penalize(-self._gossip.config.disconnect_score, "oversized_frame")
                return
            self.counters["frames_in"] += 1
            if len(data) > MAX_FRAME_SIZE:
                self.penalize(-self._gossip.config.disconnect_score, "oversized_frame")
                return
            try:
                frame = decode_frame(data)
            except BadFrame:
                self.penalize(self._gossip.config.penalty_bad_frame, "bad_frame")
                continue
            await self._gossip.handle(self, frame)

    async def _write_loop(self) -> None:
        while True:
            data = await self._outbox.get()
            try:
                await self._connection.send(data)
            except ConnectionClosed:
                return
            self.counters["frames_out"] += 1

    def info(self) -> PeerInfo:
        counters = self.counters
        return PeerInfo(
            public_key=self.public_key,
            dialed=self.dialed,
            score=self.score,
            latest_milestone=self.latest_milestone,
            frames_in=counters["frames_in"],
            frames_out=counters["frames_out"],
            dropped=counters["dropped_in"] + counters["dropped_out"],
            counters={k: v for k, v in counters.items() if k.startswith("penalty:")},
        )
