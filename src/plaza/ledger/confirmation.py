"""White-flag ordering: which messages a milestone confirms, and in what order.

The cone is walked depth first, parents in their (ascending) order, emitting each
message after its parents (post-order) and skipping what an earlier milestone
confirmed. Every node that holds the same tangle computes the same list, so
applying it yields the same balances everywhere, with no voting on conflicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from plaza.ledger.actions import Action, action_of, transfer_key
from plaza.ledger.model import Message

__all__ = ["PendingEntry", "transfer_key", "white_flag_order"]


@dataclass(slots=True)
class PendingEntry:
    """A solid, unconfirmed message as the node keeps it in memory."""

    parents: tuple[bytes, ...]
    issued_at_ms: int
    root_index: int  # oldest milestone its cone reaches (URTS laziness)
    action: Action | None  # what it does to the ledger state once confirmed, if anything
    tag: bytes
    #: A carrier's carried messages filed under it, (id, tag): confirmed along with it.
    carried: tuple[tuple[bytes, bytes], ...] = ()

    @classmethod
    def of(
        cls, message: Message, root_index: int, carried: tuple[Message, ...] = ()
    ) -> PendingEntry:
        action = action_of(message)
        filed = tuple((m.id, m.tag) for m in carried)
        return cls(message.parents, message.issued_at_ms, root_index, action, message.tag, filed)

    @property
    def addresses(self) -> tuple[bytes, ...]:
        """Addresses a transfer or hold touches, so streams can filter on them."""
        return () if self.action is None else self.action.addresses


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
