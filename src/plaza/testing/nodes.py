"""A node in this process for tests: memory store, no proof of work, a fake clock.

The whole supply sits on a treasury key; milestones are issued by hand
(:meth:`InProcessNode.milestone`), so a test decides exactly when things confirm.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from plaza.adapters.ledger.local import LocalLedger
from plaza.crypto import SigningKey
from plaza.ledger.genesis import Genesis
from plaza.node import NodeConfig, NodeRuntime
from plaza.storage import MemoryTangleStore
from plaza.testing.builders import key_from_number
from plaza.testing.clock import FakeClock

__all__ = ["InProcessNode", "in_process_node"]

DEFAULT_SUPPLY = 10**12


@dataclass
class InProcessNode:
    runtime: NodeRuntime
    clock: FakeClock
    gateway: LocalLedger  # the ledger-access ports over this node
    treasury: SigningKey  # holds the whole supply

    def milestone(self) -> None:
        """Confirm everything attached so far."""
        assert self.runtime.coordinator is not None
        self.runtime.coordinator.issue_milestone()

    def message_count(self) -> int:
        return self.runtime.store.message_count()

    def statistics(self) -> dict[str, int]:
        return {**self.runtime.tangle.statistics(), "stored": self.message_count()}


@contextmanager
def in_process_node(
    *, network: str = "plaza-test-node", supply: int = DEFAULT_SUPPLY, follow_timeout: float = 5.0
) -> Iterator[InProcessNode]:
    """A running node with a coordinator and a funded treasury; closed on exit."""
    clock = FakeClock()
    treasury, coordinator = key_from_number(1), key_from_number(2)
    genesis = Genesis.create(
        network,
        timestamp_ms=clock.now_ms() - 1000,
        allocations={treasury.public_key.address.raw: supply},
        coordinator_keys=(coordinator.public_key.raw,),
    )
    runtime = NodeRuntime(
        store=MemoryTangleStore(),
        genesis=genesis,
        config=NodeConfig(pow_difficulty=0),
        clock=clock,
        coordinator_keys=[coordinator],
    )
    try:
        yield InProcessNode(
            runtime, clock, LocalLedger(runtime, follow_timeout=follow_timeout), treasury
        )
    finally:
        runtime.close()
