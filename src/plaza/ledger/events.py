"""What the ledger tells the world as it happens, for live streams and peers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from plaza.ledger.model import Conflict, Message, MilestoneRecord

__all__ = ["EventSink", "LedgerEvent", "MessageAttached", "MessageConfirmed", "MilestoneApplied"]


@dataclass(frozen=True, slots=True)
class MessageAttached:
    """A message became solid: it is in the tangle and may be approved.

    Or, with ``carrier`` set, a carried message was filed because its carrier became
    solid: tag followers want it, but it is no tangle message (peers are sent the
    carrier, never this).
    """

    message: Message
    addresses: tuple[bytes, ...]
    carrier: bytes | None = None


@dataclass(frozen=True, slots=True)
class MessageConfirmed:
    message_id: bytes
    milestone_index: int
    conflict: Conflict
    tag: bytes
    addresses: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class MilestoneApplied:
    record: MilestoneRecord


LedgerEvent = MessageAttached | MessageConfirmed | MilestoneApplied


class EventSink(Protocol):
    def publish(self, event: LedgerEvent) -> None:
        """Called under the ledger's lock: must return quickly and never raise."""
        ...
