"""The ledger-access ports over a node running in this process.

No HTTP: the node's own tangle, clock, proof of work and event hub. A message
composed here is never issued before its parents, read from the store.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager

from plaza.crypto import Address, SigningKey
from plaza.ledger.compose import choose_parents, compose, compose_carried
from plaza.ledger.errors import (
    ConfirmationTimeout,
    HeldLimitReached,
    LedgerAccessError,
    LedgerError,
    LedgerUnavailable,
    MessageRefused,
    MessageRejected,
    NodeBusy,
    NoFaucet,
    NotFound,
    PowRateLimited,
    RateLimited,
    RequestRefused,
)
from plaza.ledger.events import MessageAttached
from plaza.ledger.holds import HoldRecord
from plaza.ledger.model import (
    ConfirmationState,
    Conflict,
    DataPayload,
    IssuedPayload,
    Message,
    MessageMetadata,
)
from plaza.ledger.ports import ConfirmedBalance, FaucetGrant, HistoryEntry, Movement
from plaza.node import (
    EventFilter,
    EventHub,
    FaucetEmpty,
    FaucetRateLimited,
    NodeError,
    NodeRuntime,
    Subscription,
)
from plaza.node import FaucetUnavailable as NodeFaucetUnavailable
from plaza.storage.errors import StorageError

__all__ = ["MAX_FOLLOWED_TAGS", "LocalLedger", "check_followed_tags"]

MAX_FOLLOWED_TAGS = 64
_MESSAGE_EVENTS = frozenset({"message"})


def check_followed_tags(tags: Collection[bytes]) -> None:
    """1 to :data:`MAX_FOLLOWED_TAGS` tags, the most a node's event filter takes."""
    if not 1 <= len(tags) <= MAX_FOLLOWED_TAGS:
        raise ValueError(f"follow 1 to {MAX_FOLLOWED_TAGS} tags, not {len(tags)}")


@contextmanager
def _runtime_errors() -> Iterator[None]:
    """Ledger, node and storage errors as the ports' :class:`LedgerAccessError` family."""
    try:
        yield
    except LedgerAccessError:
        raise
    except (HeldLimitReached, StorageError) as error:
        raise NodeBusy(str(error), None) from error
    except PowRateLimited as error:
        raise RateLimited(str(error), error.retry_after_s) from error
    except MessageRejected as error:
        raise MessageRefused(error.code, str(error)) from error
    except NodeFaucetUnavailable as error:
        raise NoFaucet() from error
    except FaucetRateLimited as error:
        raise RateLimited(str(error), error.retry_after_s) from error
    except (LedgerError, FaucetEmpty, NodeError) as error:
        raise RequestRefused(error.code, str(error)) from error


class LocalLedger:
    """A node in this process.

    ``pause`` is how waiting passes time (``time.sleep`` by default). Waiting
    counts the pauses it asked for instead of reading a clock, so a test can
    pass a function that issues a milestone and wait deterministically.
    ``follow_timeout`` bounds the wait for the next followed message.
    """

    def __init__(
        self,
        runtime: NodeRuntime,
        *,
        pause: Callable[[float], None] = time.sleep,
        poll_interval_s: float = 0.05,
        follow_timeout: float = 60.0,
    ) -> None:
        self._runtime = runtime
        self._pause = pause
        self._poll_interval_s = poll_interval_s
        self._follow_timeout = follow_timeout

    # -- read --------------------------------------------------------------------------------

    def message(self, message_id: bytes) -> Message | None:
        with _runtime_errors():
            try:
                return self._runtime.tangle.get_message(message_id)
            except NotFound:
                return None

    def find_by_tag(self, tag: bytes, *, limit: int = 100) -> Sequence[bytes]:
        with _runtime_errors():
            return self._runtime.tangle.find_by_tag(tag, limit=limit).ids

    def history(self, address: Address, *, limit: int) -> list[Movement]:
        with _runtime_errors():
            entries = self._runtime.tangle.history(address.raw, limit=limit)
            states = [self._entry_state(entry) for entry in entries]
        return [
            Movement(
                entry.message_id,
                address,
                entry.delta,
                entry.issued_at_ms,
                entry.milestone_index,
                state,
                entry.conflict,
            )
            for entry, state in zip(entries, states, strict=True)
        ]

    def _entry_state(self, entry: HistoryEntry) -> ConfirmationState:
        """A history row's state: from its confirmation, or asked of the tangle while pending."""
        if entry.milestone_index is not None:
            if entry.conflict is Conflict.NONE:
                return ConfirmationState.CONFIRMED
            return ConfirmationState.CONFLICTING
        try:
            return self._runtime.tangle.metadata(entry.message_id).state
        except NotFound:  # only held messages are ever deleted
            return ConfirmationState.HELD

    def balance(self, address: Address) -> ConfirmedBalance:
        with _runtime_errors():
            amount, index = self._runtime.tangle.balance_at(address.raw)
        return ConfirmedBalance(address, amount, index)

    def metadata(self, message_id: bytes) -> MessageMetadata | None:
        with _runtime_errors():
            try:
                return self._runtime.tangle.metadata(message_id)
            except NotFound:
                return None

    def hold(self, hold_id: bytes) -> HoldRecord | None:
        with _runtime_errors():
            try:
                return self._runtime.tangle.hold(hold_id)
            except NotFound:
                return None

    def wait_for_confirmation(self, message_id: bytes, *, timeout_s: float) -> MessageMetadata:
        waited = 0.0
        while True:
            metadata = self.metadata(message_id)
            if metadata is not None and metadata.milestone_index is not None:
                return metadata
            if waited >= timeout_s:
                raise ConfirmationTimeout(message_id, timeout_s)
            self._pause(self._poll_interval_s)
            waited += self._poll_interval_s

    def ledger_time_ms(self) -> int:
        with _runtime_errors():
            return self._runtime.tangle.latest_milestone.timestamp_ms

    # -- compose and submit ------------------------------------------------------------------

    def compose(
        self,
        signer: SigningKey,
        payload: IssuedPayload,
        *,
        first_parents: Sequence[bytes] = (),
        not_before_ms: int = 0,
    ) -> Message:
        runtime, tangle = self._runtime, self._runtime.tangle
        with _runtime_errors():
            parents = choose_parents(first_parents, tangle.select_parents())
            times = [self._issued_at(parent) for parent in parents]
            return compose(
                signer,
                network_id=tangle.genesis.network_id,
                parents=parents,
                payload=payload,
                issued_at_ms=max(runtime.clock.now_ms(), not_before_ms, *times),
                work=runtime.work,
            )

    def compose_carried(self, signer: SigningKey, payload: DataPayload) -> Message:
        """A carried message, to travel in a carrier: signed, issued now, no work."""
        runtime = self._runtime
        return compose_carried(
            signer,
            network_id=runtime.tangle.genesis.network_id,
            payload=payload,
            issued_at_ms=runtime.clock.now_ms(),
        )

    def _issued_at(self, message_id: bytes) -> int:
        tangle = self._runtime.tangle
        if message_id == tangle.genesis.id:  # the genesis is no stored message
            return tangle.genesis.timestamp_ms
        try:
            return tangle.get_message(message_id).issued_at_ms
        except NotFound:
            return 0

    def submit(self, raw: bytes) -> bytes:
        with _runtime_errors():
            result = self._runtime.submit(raw)
        assert result.message_id is not None  # only a rejection has none, and that raised
        return result.message_id

    # -- follow and the faucet ---------------------------------------------------------------

    def follow(self, tags: Collection[bytes]) -> _LocalFeed:
        check_followed_tags(tags)
        return _LocalFeed(self._runtime.events, frozenset(tags), self._follow_timeout)

    def request_faucet(self, address: Address) -> FaucetGrant:
        with _runtime_errors():
            grant = self._runtime.grant_faucet(address, client="local")
        return FaucetGrant(grant.message_id, grant.address, grant.amount)


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
            target=asyncio.run, args=(self._pump(hub, event_filter),), name="plaza-ledger-feed"
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
