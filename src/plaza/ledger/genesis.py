"""Genesis: what a network starts from, and the root every first message approves.

The genesis fixes the network's name (and so its id), the whole supply and who
holds it, and the coordinator keys. Its id, the hash of its canonical bytes,
is the tangle's root: a node refuses a data directory made under another genesis.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from plaza.encoding import Writer

__all__ = ["Genesis", "network_id_for"]


def network_id_for(name: str) -> int:
    digest = hashlib.blake2b(name.encode(), digest_size=4, person=b"plaza-network").digest()
    return int.from_bytes(digest, "little")


@dataclass(frozen=True, slots=True)
class Genesis:
    network: str
    timestamp_ms: int
    allocations: tuple[tuple[bytes, int], ...]
    coordinator_keys: tuple[bytes, ...]
    milestone_threshold: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.milestone_threshold <= len(self.coordinator_keys):
            raise ValueError(
                f"threshold {self.milestone_threshold} needs 1 to "
                f"{len(self.coordinator_keys)} coordinator keys"
            )
        object.__setattr__(self, "allocations", tuple(sorted(self.allocations)))
        object.__setattr__(self, "coordinator_keys", tuple(sorted(self.coordinator_keys)))

    @classmethod
    def create(
        cls,
        network: str,
        *,
        timestamp_ms: int,
        allocations: Mapping[bytes, int],
        coordinator_keys: tuple[bytes, ...],
        milestone_threshold: int = 1,
    ) -> Genesis:
        return cls(
            network, timestamp_ms, tuple(allocations.items()), coordinator_keys, milestone_threshold
        )

    @property
    def network_id(self) -> int:
        return network_id_for(self.network)

    @property
    def supply(self) -> int:
        return sum(amount for _, amount in self.allocations)

    def canonical_bytes(self) -> bytes:
        writer = Writer().raw(b"plaza-genesis-v1").bytes8(self.network.encode())
        writer.u64(self.timestamp_ms).u8(self.milestone_threshold).u8(len(self.coordinator_keys))
        for key in self.coordinator_keys:
            writer.raw(key)
        writer.u32(len(self.allocations))
        for address, amount in self.allocations:
            writer.raw(address).u64(amount)
        return writer.getvalue()

    @property
    def id(self) -> bytes:
        return hashlib.blake2b(self.canonical_bytes(), digest_size=32).digest()

    def to_json(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "timestamp_ms": self.timestamp_ms,
            "allocations": {address.hex(): amount for address, amount in self.allocations},
            "coordinator_keys": [key.hex() for key in self.coordinator_keys],
            "milestone_threshold": self.milestone_threshold,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Genesis:
        return cls(
            network=str(data["network"]),
            timestamp_ms=int(data["timestamp_ms"]),
            allocations=tuple(
                (bytes.fromhex(address), int(amount))
                for address, amount in data["allocations"].items()
            ),
            coordinator_keys=tuple(bytes.fromhex(key) for key in data["coordinator_keys"]),
            milestone_threshold=int(data["milestone_threshold"]),
        )
