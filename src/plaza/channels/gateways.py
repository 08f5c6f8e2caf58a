"""Ledger gateways: a node over HTTP and its event stream, or a node in this process.

Both translate their errors into :class:`~plaza.channels.errors.GatewayError`:
a refusal becomes :class:`SubmitRejected` with the ledger's code, anything that
may work on a retry becomes :class:`LedgerUnavailable`.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Collection, Sequence
from typing import TypeVar

from plaza.channels.errors import LedgerUnavailable, SubmitRejected
from plaza.client import (
    ClientError,
    EventStream,
    MessageRejectedError,
    NodeClient,
    NotFoundError,
)
from plaza.crypto import SigningKey
from plaza.ledger.compose import compose
from plaza.ledger.errors import LedgerError, MessageRejected, NotFound
from plaza.ledger.events import MessageAttached
from plaza.ledger.model import DataPayload, Message
from plaza.ledger.ports import Clock
from plaza.ledger.pow import Blake2bWork, NoWork, ProofOfWork
from plaza.node import EventFilter, EventHub, NodeRuntime, Subscription

__all__ = ["LocalGateway", "RemoteGateway"]

T = TypeVar("T")
MAX_FOLLOWED_TAGS = 64
_MESSAGE_EVENTS = frozenset({"message"})


def _check_tags(tags: Collection[bytes]) -> None:
    if not 1 <= len(tags) <= MAX_FOLLOWED_TAGS:
        raise ValueError(f"follow 1 to {MAX_FOLLOWED_TAGS} tags, not {len(tags)}")


class _RemoteFeed:
    """Message ids from a node's SSE stream, read in the caller's thread."""

    def __init__(self, stream: EventStream) -> None:
        self._stream = stream

    def __iter__(self) -> _RemoteFeed:
        return self

    def __next__(self) -> bytes:
        while True:
            try:
                event = next(self._stream)
            except StopIteration:
                raise LedgerUnavailable("the node ended the event stream") from None
            except ClientError as error:
                raise LedgerUnavailable(f"event stream: {error}") from error
            if event.kind == "message" and event.message_id is not None:
                return event.message_id

    def close(self) -> None:
        self._stream.close()


class RemoteGateway:
    """A node reached over HTTP; messages are composed and their work done here."""

    def __init__(self, client: NodeClient, *, clock: Clock, follow_timeout: float = 60.0) -> None:
        self._client = client
        self._clock = clock
        self._follow_timeout = follow_timeout
        self._network: tuple[int, ProofOfWork] | None = None

    def _call(self, action: Callable[[], T]) -> T:
        try:
            return action()
        except MessageRejectedError as error:
            raise SubmitRejected(error.code, str(error)) from error
        except ClientError as error:
            raise LedgerUnavailable(str(error)) from error

    def _parameters(self) -> tuple[int, ProofOfWork]:
        """Network id and proof of work, asked once: a running node never changes them."""
        if self._network is None:
            info = self._call(self._client.info)
            work = Blake2bWork(info.pow_difficulty) if info.pow_difficulty else NoWork()
            self._network = (info.network_id, work)
        return self._network

    def compose(self, signer: SigningKey, payload: DataPayload) -> bytes:
        network_id, work = self._parameters()
        parents = self._call(self._client.tips)
        message = compose(
            signer,
            network_id=network_id,
            parents=parents,
            payload=payload,
            issued_at_ms=self._clock.now_ms(),
            work=work,
        )
        return message.raw

    def submit(self, raw: bytes) -> bytes:
        return self._call(lambda: self._client.submit(raw)).id

    def find_by_tag(self, tag: bytes, *, limit: int = 100) -> Sequence[bytes]:
        return self._call(lambda: self._client.find_by_tag(tag, limit=limit)).ids

    def get_message(self, message_id: bytes) -> Message | None:
        try:
            return self._call(lambda: self._client.get_message(message_id))
        except LedgerUnavailable as error:
            if isinstance(error.__cause__, NotFoundError):
                return None
            raise

    def follow(self, tags: Collection[bytes]) -> _RemoteFeed:
        _check_tags(tags)
        stream = self._call(
            lambda: self._client.events(
                kinds=["message"], tags=list(tags), read_timeout=self._follow_timeout
            )
        )
        return _RemoteFeed(stream)


class _LocalFeed:
    """Message ids from the node's event hub, pumped by a helper thread with its own loop.

    The hub hands events to an asyncio subscription; a channel reader is
    synchronous, so one small thread runs the subscription and passes ids over
    a queue. Closing the subscription ends the thread.
    """

    def __init__(self, hub: EventHub, tags: frozenset[bytes], timeout: float) -> None:
        self._ids: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._timeout = timeout
        self._subscription: Subscription | None = None
        self._ready = threading.Event()
        event_filter = EventFilter(kinds=_MESSAGE_EVENTS, tags=tags)
        self._thread = threading.Thread(
            target=asyncio.run, args=(self._pump(hub, event_filter),), name="plaza-channel-feed"
        )
        self._thread.start()
        self._ready.wait()

    async def _pump(self, hub: EventHub, event_filter: EventFilter) -> None:
        try:
            self._subscription = hub.subscribe(event_filter)
        finally:
            self._ready.set()
        try:
            async for event in self._subscription:
                if isinstance(event, MessageAttached):
                    self._ids.put(event.message.id)
        finally:
            self._ids.put(None)

    def __iter__(self) -> _LocalFeed:
        return self

    def __next__(self) -> bytes:
        try:
            item = self._ids.get(timeout=self._timeout)
        except queue.Empty:
            raise LedgerUnavailable(f"no event within {self._timeout} s") from None
        if item is None:
            self._ids.put(None)  # stay ended for the next call too
            raise LedgerUnavailable("the node ended the subscription")
        return item

    def close(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
        self._thread.join()


class LocalGateway:
    """A node in this process: no HTTP, the node's own proof of work, clock and events."""

    def __init__(self, runtime: NodeRuntime, *, follow_timeout: float = 60.0) -> None:
        self._runtime = runtime
        self._follow_timeout = follow_timeout

    def compose(self, signer: SigningKey, payload: DataPayload) -> bytes:
        tangle = self._runtime.tangle
        message = compose(
            signer,
            network_id=tangle.genesis.network_id,
            parents=tangle.select_parents(),
            payload=payload,
            issued_at_ms=self._runtime.clock.now_ms(),
            work=self._runtime.work,
        )
        return message.raw

    def submit(self, raw: bytes) -> bytes:
        try:
            result = self._runtime.submit(raw)
        except MessageRejected as error:
            raise SubmitRejected(error.code, str(error)) from error
        except LedgerError as error:
            raise LedgerUnavailable(str(error)) from error
        assert result.message_id is not None  # only a rejection has none, and that raised
        return result.message_id

    def find_by_tag(self, tag: bytes, *, limit: int = 100) -> Sequence[bytes]:
        return self._runtime.tangle.find_by_tag(tag, limit=limit).ids

    def get_message(self, message_id: bytes) -> Message | None:
        try:
            return self._runtime.tangle.get_message(message_id)
        except NotFound:
            return None

    def follow(self, tags: Collection[bytes]) -> _LocalFeed:
        _check_tags(tags)
        return _LocalFeed(self._runtime.events, frozenset(tags), self._follow_timeout)
