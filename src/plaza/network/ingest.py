"""Messages from peers, ingested in batches on a worker thread.

Batching lets the node verify a batch's signatures in parallel and store it in
one transaction; the worker thread keeps the event loop (and so every peer
link) responsive while it runs.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import TYPE_CHECKING

from plaza.ledger.admission import IngestStatus
from plaza.ledger.codec import message_id
from plaza.ledger.errors import HeldLimitReached
from plaza.ledger.service import Tangle
from plaza.ledger.solidifier import Submitter
from plaza.network.model import GossipConfig
from plaza.network.session import PeerSession, RecentIds

if TYPE_CHECKING:
    from plaza.network.gossip import Gossip

__all__ = ["IngestQueue"]


class IngestQueue:
    def __init__(self, gossip: Gossip, tangle: Tangle, config: GossipConfig) -> None:
        self._gossip = gossip
        self._tangle = tangle
        self._config = config
        self._queue: asyncio.Queue[tuple[PeerSession, bytes, bytes]] = asyncio.Queue(
            config.inbox_limit
        )
        self._seen = RecentIds(500_000)
        self._sources: OrderedDict[bytes, bytes] = OrderedDict()
        self._ingested = 0

    def seen(self, message: bytes) -> bool:
        return message in self._seen

    def source_of(self, message: bytes) -> bytes | None:
        """The peer a message came from, so it is not sent straight back."""
        return self._sources.get(message)

    def offer(self, session: PeerSession, raw: bytes) -> None:
        """Take a message from a peer unless it was processed before; never blocks."""
        message = message_id(raw)
        session.known.add(message)
        if message in self._seen:
            session.counters["duplicates"] += 1
            return
        try:
            self._queue.put_nowait((session, raw, message))
        except asyncio.QueueFull:
            session.counters["dropped_in"] += 1

    async def run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._config.ingest_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._ingest(batch)
            self._gossip.request_wanted()

    async def _ingest(self, batch: list[tuple[PeerSession, bytes, bytes]]) -> None:
        fresh = []
        for session, raw, message in batch:
            if message not in self._seen:
                self._seen.add(message)
                self._remember_source(message, session.public_key)
                fresh.append((session, raw, message))
        raws = [raw for _, raw, _ in fresh]
        senders = [Submitter.peer(session.public_key) for session, _, _ in fresh]
        results = await asyncio.to_thread(self._tangle.ingest, raws, senders)
        self._ingested += len(fresh)
        for (session, _, message), result in zip(fresh, results, strict=True):
            if result.status in (IngestStatus.STORED, IngestStatus.HELD):
                session.reward()
            elif isinstance(result.error, HeldLimitReached):
                self._seen.discard(message)  # not the peer's fault; it may come again
                self._gossip.on_held_limit(result.error)
            elif result.error is not None:
                session.penalize(self._config.penalty_invalid, result.error.code)

    def _remember_source(self, message: bytes, peer: bytes) -> None:
        self._sources[message] = peer
        if len(self._sources) > 50_000:
            self._sources.popitem(last=False)

    def statistics(self) -> dict[str, int]:
        return {"seen": len(self._seen), "inbox": self._queue.qsize(), "ingested": self._ingested}
