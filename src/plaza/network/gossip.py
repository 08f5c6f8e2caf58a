"""Gossip: keep this node's tangle in step with its peers'.

* New solid messages are forwarded to every peer that may not have them.
* Messages from peers are ingested in batches off the event loop; an id seen
  before is never processed again.
* Held messages' missing parents, and peers' unknown tips, are requested.
* A peer whose latest milestone is ahead is asked for the milestones between,
  whose cones then arrive through parent requests: catch-up after a restart or a
  partition is the ordinary request path, not a separate sync protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from plaza.crypto import SigningKey
from plaza.ledger.carriers import is_carried_raw
from plaza.ledger.codec import message_id
from plaza.ledger.errors import HeldLimitReached, NotFound
from plaza.ledger.events import MessageAttached
from plaza.network.frames import (
    MAX_IDS_PER_REQUEST,
    MAX_MILESTONES_PER_REQUEST,
    Frame,
    MessageFrame,
    Request,
    RequestMilestones,
    Status,
)
from plaza.network.handshake import accept_handshake, dial_handshake
from plaza.network.ingest import IngestQueue
from plaza.network.model import GossipConfig, PeerAddress, PeerInfo
from plaza.network.session import PeerSession
from plaza.network.transport import Connection, dial
from plaza.node import EventFilter, NodeRuntime

__all__ = ["Gossip"]

log = logging.getLogger(__name__)


class Gossip:
    def __init__(self, runtime: NodeRuntime, identity: SigningKey, config: GossipConfig) -> None:
        self.config = config
        self._runtime = runtime
        self._tangle = runtime.tangle
        self._identity = identity
        self._network_id = runtime.tangle.genesis.network_id
        self._sessions: dict[bytes, PeerSession] = {}
        self._banned: dict[bytes, float] = {}
        self._requested: dict[bytes, float] = {}
        self._milestones_requested: dict[int, float] = {}
        self._ingest = IngestQueue(self, runtime.tangle, config)

    @property
    def public_key(self) -> bytes:
        return self._identity.public_key.raw

    # -- lifecycle ---------------------------------------------------------------------

    async def run(self) -> None:
        """Peer until cancelled: dial configured peers, forward, ingest, ask, report status."""
        tasks = [
            asyncio.create_task(self._forward_new_messages()),
            asyncio.create_task(self._ingest.run()),
            asyncio.create_task(self._tick()),
            *(asyncio.create_task(self._dial_forever(peer)) for peer in self.config.peers),
        ]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for session in list(self._sessions.values()):
                await session.close(1001, "node shutting down")

    async def accept(self, connection: Connection) -> None:
        """Serve a peer that dialed in (called by the API's WebSocket endpoint)."""
        remote = await accept_handshake(connection, self._identity, self._network_id, self._refusal)
        await self._serve(connection, remote, dialed=False)

    async def _dial_forever(self, peer: PeerAddress) -> None:
        delay = self.config.reconnect_min_s
        while True:
            if self._refusal(peer.public_key) is None and peer.public_key not in self._sessions:
                try:
                    connection = await dial(peer.url)
                    remote = await dial_handshake(
                        connection, self._identity, self._network_id, self._refusal, peer.public_key
                    )
                    delay = self.config.reconnect_min_s
                    await self._serve(connection, remote, dialed=True)
                except Exception as error:  # a peer that is down is normal: retry with backoff
                    log.debug("peer %s: %s", peer, error)
            await asyncio.sleep(delay)
            delay = min(self.config.reconnect_max_s, delay * 2)

    async def _serve(self, connection: Connection, remote: bytes, *, dialed: bool) -> None:
        session = PeerSession(self, connection, remote, dialed=dialed)
        if not self._register(session):
            await session.close(1008, "already connected")
            return
        log.info("peer %s connected (%s)", remote.hex()[:16], "out" if dialed else "in")
        try:
            session.send(self._status())
            await session.run()
        finally:
            if self._sessions.get(remote) is session:
                del self._sessions[remote]
            log.info("peer %s disconnected", remote.hex()[:16])

    def _register(self, session: PeerSession) -> bool:
        """One link per peer; of two, both ends keep the one dialed by the lower key."""
        existing = self._sessions.get(session.public_key)
        if existing is not None:
            if self._dialer(existing) <= self._dialer(session):
                return False
            asyncio.get_running_loop().create_task(existing.close(1000, "duplicate link"))
        self._sessions[session.public_key] = session
        return True

    def _dialer(self, session: PeerSession) -> bytes:
        return self.public_key if session.dialed else session.public_key

    def _refusal(self, key: bytes) -> str | None:
        if key == self.public_key:
            return "that is this node's own key"
        if key not in self.config.allowlist:
            return "key is not on the allowlist"
        until = self._banned.get(key)
        if until is not None and until > asyncio.get_running_loop().time():
            return "key is banned"
        return None

    def ban(self, key: bytes, reason: str) -> None:
        log.warning("banning peer %s for %.0f s: %s", key.hex()[:16], self.config.ban_s, reason)
        self._banned[key] = asyncio.get_running_loop().time() + self.config.ban_s

    # -- frames in ---------------------------------------------------------------------

    async def handle(self, session: PeerSession, frame: Frame) -> None:
        match frame:
            case MessageFrame(raw=raw):
                self._ingest.offer(session, raw)
            case Request(ids=ids):
                await self._answer(session, ids)
            case RequestMilestones(start=start, count=count):
                await self._answer_milestones(session, start, count)
            case Status():
                await self._on_status(session, frame)
            case _:  # a handshake frame after the handshake
                session.penalize(self.config.penalty_bad_frame, "unexpected_frame")

    async def _answer(self, session: PeerSession, ids: Iterable[bytes]) -> None:
        raws = await asyncio.to_thread(lambda: [self._tangle.get_raw(i) for i in ids])
        for raw in raws:
            if raw is not None and not is_carried_raw(raw):  # no peer may take one alone
                session.known.add(message_id(raw))
                session.send(MessageFrame(raw))

    async def _answer_milestones(self, session: PeerSession, start: int, count: int) -> None:
        def lookup() -> list[bytes]:
            found: list[bytes] = []
            for index in range(start, start + count):
                with contextlib.suppress(NotFound):
                    raw = self._tangle.get_raw(self._tangle.milestone(index).message_id)
                    if raw is not None:
                        found.append(raw)
            return found

        for raw in await asyncio.to_thread(lookup):
            session.send(MessageFrame(raw))

    async def _on_status(self, session: PeerSession, status: Status) -> None:
        session.latest_milestone = status.latest_index
        self._catch_up(session)
        unseen = [tip for tip in status.tips if not self._ingest.seen(tip)]
        if unseen:
            known = await asyncio.to_thread(self._tangle.known, unseen)
            self._request(session, [tip for tip in unseen if tip not in known])

    def _catch_up(self, session: PeerSession) -> None:
        ours = self._tangle.latest_milestone.index
        if session.latest_milestone <= ours:
            return
        now = asyncio.get_running_loop().time()
        last = min(session.latest_milestone, ours + MAX_MILESTONES_PER_REQUEST)
        wanted = [
            index
            for index in range(ours + 1, last + 1)
            if now - self._milestones_requested.get(index, -1e9) > self.config.request_retry_s
        ]
        if wanted:
            for index in wanted:
                self._milestones_requested[index] = now
            session.send(RequestMilestones(wanted[0], wanted[-1] - wanted[0] + 1))

    # -- frames out --------------------------------------------------------------------

    def request_wanted(self) -> None:
        """Ask peers for the parents held messages wait for, spreading retries over peers."""
        sessions = list(self._sessions.values())
        if sessions:
            wanted = sorted(self._tangle.wanted())
            self._request(sessions[len(self._requested) % len(sessions)], wanted)

    def _request(self, session: PeerSession, ids: list[bytes]) -> None:
        now = asyncio.get_running_loop().time()
        due = [i for i in ids if now - self._requested.get(i, -1e9) > self.config.request_retry_s]
        for start in range(0, len(due), MAX_IDS_PER_REQUEST):
            chunk = tuple(due[start : start + MAX_IDS_PER_REQUEST])
            session.send(Request(chunk))
        for message in due:
            self._requested[message] = now
        if len(self._requested) > 100_000:
            horizon = now - 10 * self.config.request_retry_s
            self._requested = {i: t for i, t in self._requested.items() if t > horizon}

    def _status(self) -> Status:
        latest = self._tangle.latest_milestone
        return Status(latest.index, latest.message_id, tuple(self._tangle.select_parents(8)))

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.config.status_interval_s)
            status = self._status()
            for session in list(self._sessions.values()):
                session.send(status)
                self._catch_up(session)
            self.request_wanted()

    async def _forward_new_messages(self) -> None:
        """Send every newly solid message to the peers that may lack it."""
        while True:
            subscription = self._runtime.events.subscribe(EventFilter(kinds=frozenset({"message"})))
            try:
                async for event in subscription:
                    # A carried message reaches peers inside its carrier, never alone.
                    if isinstance(event, MessageAttached) and event.carrier is None:
                        self._forward(event.message.id, event.message.raw)
            finally:
                subscription.close()
            log.warning("forwarding fell behind; missed messages will be requested by peers")

    def _forward(self, message: bytes, raw: bytes) -> None:
        source = self._ingest.source_of(message)
        for session in self._sessions.values():
            if session.public_key != source and message not in session.known:
                session.known.add(message)
                session.send(MessageFrame(raw))

    # -- reporting ---------------------------------------------------------------------

    def peers(self) -> list[PeerInfo]:
        return [session.info() for session in self._sessions.values()]

    def statistics(self) -> dict[str, int]:
        now = asyncio.get_running_loop().time()
        return {
            "peers": len(self._sessions),
            "banned": sum(1 for until in self._banned.values() if until > now),
            "requested": len(self._requested),
            **self._ingest.statistics(),
        }

    def on_held_limit(self, error: HeldLimitReached) -> None:
        log.warning("held limit reached while ingesting from peers: %s", error)
