"""White-flag ordering: which messages a milestone confirms, and in what order.

The cone is walked depth first, parents in their (ascending) order, emitting each
message after its parents (post-order) and skipping what an earlier milestone
confirmed. Every node that holds the same tangle computes the same list, so
applying it yields the same balances everywhere, with no voting on conflicts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from plaza.crypto import Address
from plaza.ledger.model import Message, TransferPayload
from plaza.ledger.state import Transfer

__all__ = ["PendingEntry", "transfer_key", "white_flag_order"]


def transfer_key(message: Message) -> bytes:
    """What identifies a transfer across re-attachments: the hash of what its payer signed."""
    return hashlib.blake2b(message.essence, digest_size=32).digest()


@dataclass(slots=True)
class PendingEntry:
    """A solid, unconfirmed message as the node keeps it in memory."""

    parents: tuple[bytes, ...]
    issued_at_ms: int
    root_index: int  # oldest milestone its cone reaches (URTS laziness)
    transfer: Transfer | None
    tag: bytes

    @classmethod
    def of(cls, message: Message, root_index: int) -> PendingEntry:
        payload = message.payload
        transfer = None
        if isinstance(payload, TransferPayload):
            payer = Address.from_public_key(message.issuer).raw
            transfer = Transfer(payer, payload.outputs, transfer_key(message), message.issued_at_ms)
        return cls(message.parents, message.issued_at_ms, root_index, transfer, message.tag)

    @property
    def addresses(self) -> tuple[bytes, ...]:
        """Addresses a transfer touches, so streams can filter on them."""
        if self.transfer is None:
            return ()
        return (self.transfer.payer, *(output.address for output in self.transfer.outputs))


def white_flag_order(
    parents: Iterable[bytes], pending: Mapping[bytes, PendingEntry]
) -> list[bytes]:
    """Unconfirmed past cone of ``parents`` in post-order; iterative, so deep cones are fine."""
    order: list[bytes] = []
    visited: set[bytes] = set()
    stack: list[tuple[bytes, bool]] = [(parent, False) for parent in reversed(list(parents))]
    while stack:
        message_id, expanded = stack.pop()
        if expanded:
            order.append(message_id)
            continue
        entry = pending.get(message_id)
        if entry is None or message_id in visited:
            continue
        visited.add(message_id)
        stack.append((message_id, True))
        stack.extend((parent, False) for parent in reversed(entry.parents))
    return order
