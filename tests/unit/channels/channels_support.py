"""A node in this process for channel unit tests: memory store, no work, a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from plaza.adapters.ledger.local import LocalLedger
from plaza.channels import (
    Channel,
    ChannelMode,
    LedgerUnavailable,
    MemoryCursorStore,
    Publisher,
)
from plaza.crypto import Address, Identity, SigningKey
from plaza.ledger.genesis import Genesis
from plaza.ledger.model import DataPayload
from plaza.node import NodeConfig, NodeRuntime
from plaza.storage import MemoryTangleStore
from plaza.testing import FakeClock
from plaza.testing.builders import key_from_number
from plaza.testing.ledgers import LedgerProxy


@dataclass
class Node:
    runtime: NodeRuntime
    gateway: LocalLedger
    clock: FakeClock

    def spam(self, tag: bytes, data: bytes, signer: SigningKey | None = None) -> bytes:
        """File ``data`` under ``tag`` as someone else (a fresh key unless given)."""
        message = self.gateway.compose(signer or SigningKey.generate(), DataPayload(tag, data))
        return self.gateway.submit(message.raw)


def make_node(clock: FakeClock | None = None) -> NodeRuntime:
    clock = clock or FakeClock()
    faucet, coordinator = key_from_number(1), key_from_number(2)
    genesis = Genesis.create(
        "plaza-channels-test",
        timestamp_ms=clock.now_ms() - 1000,
        allocations={Address.from_public_key(faucet.public_key.raw).raw: 10**9},
        coordinator_keys=(coordinator.public_key.raw,),
    )
    return NodeRuntime(
        store=MemoryTangleStore(),
        genesis=genesis,
        config=NodeConfig(pow_difficulty=0, coordinator=False),
        clock=clock,
    )


@contextmanager
def local_node(*, follow_timeout: float = 10.0) -> Iterator[Node]:
    clock = FakeClock()
    runtime = make_node(clock)
    try:
        yield Node(runtime, LocalLedger(runtime, follow_timeout=follow_timeout), clock)
    finally:
        runtime.close()


def new_publisher(
    node: Node, mode: ChannelMode, *, owner: Identity | None = None
) -> tuple[Publisher, Identity, MemoryCursorStore]:
    owner = owner or Identity.generate()
    store = MemoryCursorStore()
    channel = Channel.create(mode, owner)
    return Publisher.create(node.gateway, store, channel, clock=node.clock), owner, store


class FlakyGateway(LedgerProxy):
    """A ledger that fails its ``fail_on``-th submit: before sending it, or after.

    ``after=False`` is a crash between persisting a message and submitting it;
    ``after=True`` a crash after the node took it but before the answer came back.
    """

    def __init__(self, inner: LocalLedger, fail_on: int, *, after: bool = False) -> None:
        super().__init__(inner)
        self._fail_on = fail_on
        self._after = after
        self.submits = 0

    def submit(self, raw: bytes) -> bytes:
        self.submits += 1
        if self.submits == self._fail_on:
            if self._after:
                self.inner.submit(raw)
            raise LedgerUnavailable("simulated crash")
        return self.inner.submit(raw)
