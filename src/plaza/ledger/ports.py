"""The ledger's ports, both ways round.

* What the ledger needs from the outside world: :class:`TangleStore` and
  :class:`Clock`. Store adapters live in :mod:`plaza.storage` (memory, SQLite,
  PostgreSQL); one contract suite (``tests/contract/test_tangle_store.py``)
  runs against each.
* What the rest of Plaza needs from a ledger, by role: :class:`LedgerReader`
  (messages by id, tag and address, balances, confirmations), :class:`Composer`
  (sign a message on tips with proof of work, not sent), :class:`Submitter`,
  :class:`Follower` (the live feed) and :class:`Faucet`. :class:`Ledger` is all
  of them. Two adapters implement it: :mod:`plaza.adapters.ledger.local` over an
  in-process node and :mod:`plaza.adapters.ledger.remote` over a node's HTTP API.
  Both raise only :class:`~plaza.ledger.errors.LedgerAccessError` subclasses.
  :class:`MilestoneWaiter` (woken at each milestone) stands apart: one
  (:mod:`plaza.adapters.ledger.milestones`) follows a node for many callers.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from plaza.clock import Clock
from plaza.crypto import Address, SigningKey
from plaza.ledger.holds import HoldRecord
from plaza.ledger.model import (
    ConfirmationState,
    Conflict,
    DataPayload,
    IssuedPayload,
    Message,
    MessageMetadata,
    MilestoneRecord,
)

__all__ = [
    "AddressEntry",
    "CarriedComposer",
    "Clock",
    "Composer",
    "ConfirmedBalance",
    "Faucet",
    "FaucetGrant",
    "Feed",
    "Follower",
    "HistoryEntry",
    "Ledger",
    "LedgerReader",
    "MilestoneWaiter",
    "Movement",
    "NewMessage",
    "Page",
    "ParentInfo",
    "Submitter",
    "TangleStore",
]


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

    Carried messages (``docs/protocol.md``, "Carried messages") are filed apart
    from the tangle's messages: :meth:`get_raw`, :meth:`metadata` and
    :meth:`find_by_tag` answer for them too, with their carrier's confirmation,
    and :meth:`existing` knows them; every other method (``parent_info``,
    ``children``, ``unconfirmed``, ``message_count``) counts tangle messages only.
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

    def file_carried(self, filings: Sequence[tuple[bytes, Message]]) -> None:
        """File carried messages, each ``(carrier id, carried message)``, under their tags.

        A carried id already filed keeps its first carrier (the same bytes may come
        again in another carrier); the carrier must be stored and solid.
        """
        ...

    def carriers_of(self, ids: Iterable[bytes]) -> dict[bytes, bytes]:
        """The carrier each of those ``ids`` that are filed carried messages is filed under."""
        ...

    def existing(self, ids: Iterable[bytes]) -> set[bytes]:
        """Which of ``ids`` are stored, solid or held, or filed as carried messages (so the
        lookup stays on the id index: a carried message never reaches admission's check)."""
        ...

    def get_raw(self, message_id: bytes) -> bytes | None:
        """The message's canonical bytes (a carried message's own)."""
        ...

    def metadata(self, message_id: bytes) -> MessageMetadata | None:
        """Solidity and confirmation of a stored message; a carried one has its carrier's."""
        ...

    def parent_info(self, ids: Iterable[bytes]) -> dict[bytes, ParentInfo]:
        """Issue time and confirming milestone of those ``ids`` that are stored and solid."""
        ...

    def children(self, message_id: bytes, *, limit: int = 100) -> list[bytes]:
        """Stored messages that list ``message_id`` as a parent."""
        ...

    def find_by_tag(self, tag: bytes, *, limit: int = 100, cursor: int | None = None) -> Page:
        """Messages carrying ``tag``, carried ones included, newest stored or filed first."""
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
        holds: Sequence[HoldRecord] = (),
    ) -> None:
        """Confirm messages, set changed balances, store the holds opened or closed
        (a record replaces the stored one of its id) and record the milestone, all at once."""
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
        """Raw bytes of confirmed, non-conflicting transfers and holds issued at or after
        the time."""
        ...

    def open_holds(self) -> list[HoldRecord]:
        """Every hold open at the latest milestone, by id."""
        ...

    def hold(self, hold_id: bytes) -> HoldRecord | None:
        """The hold with this id, open or closed."""
        ...

    def unconfirmed(self) -> list[tuple[bytes, bool]]:
        """Raw bytes and solidity of every stored tangle message not yet confirmed, oldest
        first (never a carried message: its carrier stands for it)."""
        ...

    def message_count(self) -> int:
        """How many tangle messages are stored (a carrier counts once, its carried none)."""
        ...

    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""
        ...


# -- what Plaza needs from a ledger ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfirmedBalance:
    """A confirmed balance and the milestone it was read at, read together."""

    address: Address
    amount: int
    milestone_index: int


@dataclass(frozen=True, slots=True)
class Movement:
    """One transfer's effect on one address, with its confirmation (from the ledger)."""

    message_id: bytes
    address: Address
    delta: int
    issued_at_ms: int
    milestone_index: int | None
    state: ConfirmationState
    conflict: Conflict


@dataclass(frozen=True, slots=True)
class FaucetGrant:
    """A faucet's transfer to an address; ``metadata`` once it was waited for."""

    message_id: bytes
    address: Address
    amount: int
    metadata: MessageMetadata | None = None


class LedgerReader(Protocol):
    """What a ledger says: messages by id, tag and address, balances and confirmations."""

    def message(self, message_id: bytes) -> Message | None:
        """The stored message, decoded (``raw`` included), or None if the ledger lacks it."""
        ...

    def find_by_tag(self, tag: bytes, *, limit: int = 100) -> Sequence[bytes]:
        """Ids of messages carrying ``tag``, newest first, at most ``limit``."""
        ...

    def history(self, address: Address, *, limit: int) -> list[Movement]:
        """The latest ``limit`` transfers paying from or to ``address``, newest first."""
        ...

    def balance(self, address: Address) -> ConfirmedBalance:
        """The confirmed balance of ``address`` and the milestone index it was read at."""
        ...

    def metadata(self, message_id: bytes) -> MessageMetadata | None:
        """What the ledger knows of a message's confirmation; None if it has no such message."""
        ...

    def hold(self, hold_id: bytes) -> HoldRecord | None:
        """A held payment, open or closed, as of the latest milestone; None until a
        milestone opened it (``docs/protocol.md``, Held payments)."""
        ...

    def wait_for_confirmation(self, message_id: bytes, *, timeout_s: float) -> MessageMetadata:
        """Block until a milestone confirms the message (applied or conflicting), or raise
        :class:`~plaza.ledger.errors.ConfirmationTimeout` at the deadline."""
        ...

    def ledger_time_ms(self) -> int:
        """The latest milestone's timestamp: the time transfer lifetimes are judged by."""
        ...


class Composer(Protocol):
    """Signed messages built on the ledger's tips, NOT submitted.

    Composing apart from submitting is what lets a caller persist the exact bytes
    before a node sees them (a channel publisher, an idempotent payment).
    """

    def compose(
        self,
        signer: SigningKey,
        payload: IssuedPayload,
        *,
        first_parents: Sequence[bytes] = (),
        not_before_ms: int = 0,
    ) -> Message:
        """A message signed by ``signer`` with its proof of work, at the node's difficulty.

        Its parents are ``first_parents`` (messages it must follow, such as the
        funding it spends) then the node's tips; it is issued now, but never before
        ``not_before_ms`` nor before any of its parents.
        """
        ...


class CarriedComposer(Protocol):
    """Composing carried messages: many travel in one carrier, which does the work for all
    (``docs/protocol.md``, "Carried messages")."""

    def compose_carried(self, signer: SigningKey, payload: DataPayload) -> Message:
        """A carried message of ``payload`` signed by ``signer`` for the node's network,
        issued now, with no parents and no work: valid only inside a carrier."""
        ...


class Submitter(Protocol):
    """Sending composed messages to the ledger."""

    def submit(self, raw: bytes) -> bytes:
        """Submit canonical message bytes and return the id; a known message is no error."""
        ...


class Feed(Iterator[bytes], Protocol):
    """Ids of new messages carrying one of the followed tags, as the node attaches them.

    Iteration blocks until the next message; the adapter's read timeout raises
    :class:`~plaza.ledger.errors.LedgerUnavailable` rather than block forever.
    """

    def close(self) -> None:
        """Stop following; safe to call twice."""
        ...


class Follower(Protocol):
    """The ledger's live event feed."""

    def follow(self, tags: Collection[bytes]) -> Feed:
        """Start following 1 to 64 tags; every message attached after this returns is fed."""
        ...


class MilestoneWaiter(Protocol):
    """Waking when a milestone is applied: what a hold, a balance or a confirmation
    waits for, so a waiter asks the node once per milestone instead of polling."""

    @property
    def latest(self) -> int | None:
        """The latest milestone index known (None before the first); note it *before* a
        read, then :meth:`wait_past` it, and no milestone after the read is missed."""
        ...

    def wait_past(self, seen: int | None, *, timeout_s: float) -> int | None:
        """Block until a milestone later than ``seen`` is known or ``timeout_s`` passed
        (less if the waiter cannot follow milestones now); the latest index then."""
        ...


class Faucet(Protocol):
    """A devnet's faucet."""

    def request_faucet(self, address: Address) -> FaucetGrant:
        """Ask the network's faucet to fund ``address``; the grant is pending when returned."""
        ...


class Ledger(LedgerReader, Composer, CarriedComposer, Submitter, Follower, Faucet, Protocol):
    """Every role at once: what the in-process and the remote adapter each implement."""
