"""A node in this process for the streams unit tests: memory store, no work, a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from plaza.adapters.ledger.local import LocalLedger
from plaza.crypto import Address, EncryptionPublicKey, Identity
from plaza.ledger.genesis import Genesis
from plaza.node import NodeConfig, NodeRuntime
from plaza.storage import MemoryTangleStore
from plaza.streams import DataType, SensorAnnouncement, Terms
from plaza.testing import FakeClock
from plaza.testing.builders import key_from_number


@dataclass
class Node:
    runtime: NodeRuntime
    gateway: LocalLedger
    clock: FakeClock


@contextmanager
def local_node() -> Iterator[Node]:
    clock = FakeClock()
    faucet, coordinator = key_from_number(1), key_from_number(2)
    genesis = Genesis.create(
        "plaza-streams-test",
        timestamp_ms=clock.now_ms() - 1000,
        allocations={Address.from_public_key(faucet.public_key.raw).raw: 10**9},
        coordinator_keys=(coordinator.public_key.raw,),
    )
    runtime = NodeRuntime(
        store=MemoryTangleStore(),
        genesis=genesis,
        config=NodeConfig(pow_difficulty=0, coordinator=False),
        clock=clock,
    )
    try:
        yield Node(runtime, LocalLedger(runtime, follow_timeout=5.0), clock)
    finally:
        runtime.close()


def an_announcement(
    *, name: str = "air-42", price: int = 600, encryption: EncryptionPublicKey | None = None
) -> SensorAnnouncement:
    """Air quality in Turin: 600 base units an hour, ten minutes at least."""
    return SensorAnnouncement(
        name=name,
        latitude=45.0703,
        longitude=7.6869,
        description="PM2.5 and NO2 at Porta Nuova",
        data_types=(DataType("pm25", "µg/m³"), DataType("no2", "µg/m³")),
        terms=Terms(price=price, period_ms=3_600_000, minimum_ms=600_000),
        pay_to=Address.from_public_key(key_from_number(9).public_key.raw),
        encryption_key=encryption or Identity.generate().encryption.public_key,
    )
