"""The ledger's specification of what it needs from the outside world.

Adapters live in :mod:`plaza.storage` (memory, SQLite, PostgreSQL); one contract
test suite (``tests/contract/test_tangle_store.py``) runs against each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from plaza.ledger.model import Conflict, Message, MessageMetadata, MilestoneRecord

__all__ = [
    "AddressEntry",
    "Clock",
    "HistoryEntry",
    "NewMessage",
    "Page",
    "ParentInfo",
    "TangleStore",
]


class Clock(Protocol):
    """Where the ledger reads time; tests pass a fake one and move it by hand."""

    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch."""
        ...


@dataclass(frozen=True, slots=True)
class AddressEntry:
    """A transfer's effect on one address: negative for the payer, positive for a payee."""

    address: bytes
    delta: int


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message accepted for storage, solid or held, with the address entries it makes."""

    message: Message
    solid: bool
    entries: tuple[AddressEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class ParentInfo:
    """What a child needs of a stored, solid parent."""

    issued_at_ms: int
    milestone_index: int | None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    message_id: bytes
    delta: int
    issued_at_ms: int
    milestone_index: int | None
    conflict: Conflict


@dataclass(frozen=True, slots=True)
class Page:
    """Message ids, newest first, and the cursor that continues after the last one."""

    ids: tuple[bytes, ...]
    next_cursor: int | None


class TangleStore(Protocol):
    """Durable storage of messages, confirmations, milestones and balances.

    Every method that writes is atomic: after it returns the change survives a
    crash, and if it raises nothing of it is visible.
    """

    def add_messages(self, messages: Sequence[NewMessage]) -> None:
        """Store new messages with their parent edges and address entries; ids not yet stored."""
        ...

    def mark_solid(self, ids: Sequence[bytes]) -> None:
        """Record that held messages have all their parents now."""
        ...

    def discard(self, ids: Sequence[bytes]) -> None:
        """Delete held messages found invalid once their parents arrived."""
        ...

    def existing(self, ids: Iterable[bytes]) -> set[bytes]:
        """Which of ``ids`` are stored, solid or held."""
        ...

    def get_raw(self, message_id: bytes) -> bytes | None:
        """The message's canonical bytes."""
        ...

    def metadata(self, message_id: bytes) -> MessageMetadata | None:
        """Solidity and confirmation of a stored message."""
        ...

    def parent_info(self, ids: Iterable[bytes]) -> dict[bytes, ParentInfo]:
        """Issue time and confirming milestone of those ``ids`` that are stored and solid."""
        ...

    def children(self, message_id: bytes, *, limit: int = 100) -> list[bytes]:
        """Stored messages that list ``message_id`` as a parent."""
        ...

    def find_by_tag(self, tag: bytes, *, limit: int = 100, cursor: int | None = None) -> Page:
        """Messages carrying ``tag``, newest first."""
        ...

    def find_by_address(
        self, address: bytes, *, limit: int = 100, cursor: int | None = None
    ) -> Page:
        """Transfers paying from or to ``address``, newest first."""
        ...

    def history(self, address: bytes, *, limit: int = 100, offset: int = 0) -> list[HistoryEntry]:
        """The address's entries with their confirmation, newest first."""
        ...

    def apply_milestone(
        self,
        record: MilestoneRecord,
        confirmed: Sequence[tuple[bytes, Conflict]],
        balances: Mapping[bytes, int],
    ) -> None:
        """Confirm messages, set changed balances and record the milestone, all at once."""
        ...

    def milestone(self, index: int) -> MilestoneRecord | None:
        """The applied milestone with this index."""
        ...

    def latest_milestone(self) -> MilestoneRecord | None:
        """The applied milestone with the highest index."""
        ...

    def balances(self) -> dict[bytes, int]:
        """Every address with a non-zero balance at the latest milestone."""
        ...

    def applied_transfers(self, since_issued_at_ms: int) -> list[bytes]:
        """Raw bytes of confirmed, non-conflicting transfers issued at or after the time."""
        ...

    def unconfirmed(self) -> list[tuple[bytes, bool]]:
        """Raw bytes and solidity of every stored message not yet confirmed, oldest first."""
        ...

    def message_count(self) -> int:
        """How many messages are stored."""
        ...

    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""
        ...
