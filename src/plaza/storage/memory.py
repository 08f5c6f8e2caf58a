"""A :class:`~plaza.ledger.ports.TangleStore` in dictionaries.

It is the reference the contract tests hold the SQL adapters to, and the store
for unit tests and throw-away nodes. It mirrors the SQL stores on purpose, down
to the details: ids ignored when already stored, ``seq`` numbers never reused
after a discard, empty tags not indexed, out-of-range integers refused before
anything changes, and a ``threading.RLock`` because the node calls in from
several threads.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from plaza.ledger.holds import HoldRecord, HoldStatus
from plaza.ledger.model import Conflict, Message, MessageMetadata, MilestoneRecord
from plaza.ledger.ports import HistoryEntry, NewMessage, Page, ParentInfo
from plaza.storage._common import (
    NO_CURSOR,
    PAYMENT_KINDS,
    check_int64,
    check_window,
    closed_error,
    page_cursor,
)
from plaza.storage.errors import StorageError

__all__ = ["MemoryTangleStore"]


@dataclass(slots=True)
class _Stored:
    seq: int
    raw: bytes
    parents: tuple[bytes, ...]
    tag: bytes
    issued_at_ms: int
    solid: bool
    kind: int
    milestone_index: int | None = None
    conflict: Conflict = Conflict.NONE


@dataclass(frozen=True, slots=True)
class _Carried:
    """A filed carried message: its own bytes and tag, everything else its carrier's."""

    seq: int
    raw: bytes
    carrier: bytes


class MemoryTangleStore:
    """Everything in process memory; lost on exit, which is the point for tests."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._closed = False
        self._next_seq = 1
        self._messages: dict[bytes, _Stored] = {}
        self._carried: dict[bytes, _Carried] = {}  # apart, so tangle lookups never see them
        self._by_seq: dict[int, bytes] = {}
        self._children: dict[bytes, dict[bytes, None]] = {}
        self._tags: dict[bytes, list[int]] = {}
        self._entries: dict[bytes, dict[bytes, int]] = {}
        self._entries_of: dict[bytes, list[bytes]] = {}
        self._milestones: dict[int, MilestoneRecord] = {}
        self._balances: dict[bytes, int] = {}
        self._holds: dict[bytes, HoldRecord] = {}

    def _open(self) -> None:
        if self._closed:
            raise closed_error()

    def add_messages(self, messages: Sequence[NewMessage]) -> None:
        """Store new messages; an id already stored (or earlier in the batch) is ignored."""
        with self._lock:
            self._open()
            check_int64((new.message.issued_at_ms for new in messages), "issue time")
            check_int64((e.delta for new in messages for e in new.entries), "delta")
            for new in messages:
                if new.message.id not in self._messages:
                    self._add(new)

    def _add(self, new: NewMessage) -> None:
        message, seq = new.message, self._next_seq
        self._next_seq += 1
        self._messages[message.id] = _Stored(
            seq,
            message.raw,
            message.parents,
            message.tag,
            message.issued_at_ms,
            new.solid,
            message.payload.KIND,
        )
        self._by_seq[seq] = message.id
        for parent in message.parents:
            self._children.setdefault(parent, {})[message.id] = None
        if message.tag:
            self._tags.setdefault(message.tag, []).append(seq)
        for entry in new.entries:
            entries = self._entries.setdefault(entry.address, {})
            if message.id not in entries:
                entries[message.id] = entry.delta
                self._entries_of.setdefault(message.id, []).append(entry.address)

    def file_carried(self, filings: Sequence[tuple[bytes, Message]]) -> None:
        """File each carried message once, under the first carrier that brings it."""
        with self._lock:
            self._open()
            check_int64((message.issued_at_ms for _, message in filings), "issue time")
            for carrier, message in filings:
                if message.id not in self._carried:
                    seq, self._next_seq = self._next_seq, self._next_seq + 1
                    self._carried[message.id] = _Carried(seq, message.raw, carrier)
                    self._by_seq[seq] = message.id
                    self._tags.setdefault(message.tag, []).append(seq)

    def carriers_of(self, ids: Iterable[bytes]) -> dict[bytes, bytes]:
        with self._lock:
            self._open()
            return {i: found.carrier for i in ids if (found := self._carried.get(i)) is not None}

    def mark_solid(self, ids: Sequence[bytes]) -> None:
        with self._lock:
            self._open()
            for message_id in ids:
                stored = self._messages.get(message_id)
                if stored is not None:
                    stored.solid = True

    def discard(self, ids: Sequence[bytes]) -> None:
        """Forget the messages, their parent edges and entries; edges *to* them stay."""
        with self._lock:
            self._open()
            for message_id in ids:
                stored = self._messages.pop(message_id, None)
                if stored is not None:
                    self._forget(message_id, stored)

    def _forget(self, message_id: bytes, stored: _Stored) -> None:
        del self._by_seq[stored.seq]
        for parent in stored.parents:
            self._children[parent].pop(message_id, None)
        if stored.tag:
            self._tags[stored.tag].remove(stored.seq)
        for address in self._entries_of.pop(message_id, []):
            del self._entries[address][message_id]

    def existing(self, ids: Iterable[bytes]) -> set[bytes]:
        with self._lock:
            self._open()
            found = self._messages.keys() | self._carried.keys()
            return {message_id for message_id in ids if message_id in found}

    def get_raw(self, message_id: bytes) -> bytes | None:
        with self._lock:
            self._open()
            stored = self._messages.get(message_id) or self._carried.get(message_id)
            return None if stored is None else stored.raw

    def metadata(self, message_id: bytes) -> MessageMetadata | None:
        """A carried message's is its carrier's, naming the carrier."""
        with self._lock:
            self._open()
            carried = self._carried.get(message_id)
            carrier = None if carried is None else carried.carrier
            stored = self._messages.get(message_id if carrier is None else carrier)
            if stored is None:
                return None
            return MessageMetadata(
                message_id, stored.solid, stored.milestone_index, stored.conflict, carrier
            )

    def parent_info(self, ids: Iterable[bytes]) -> dict[bytes, ParentInfo]:
        with self._lock:
            self._open()
            found = {}
            for message_id in ids:
                stored = self._messages.get(message_id)
                if stored is not None and stored.solid:
                    found[message_id] = ParentInfo(stored.issued_at_ms, stored.milestone_index)
            return found

    def children(self, message_id: bytes, *, limit: int = 100) -> list[bytes]:
        """Oldest child first, like the SQL stores' ``ORDER BY seq``."""
        check_window(limit)
        with self._lock:
            self._open()
            found = self._children.get(message_id, {})
            return sorted(found, key=lambda child: self._messages[child].seq)[:limit]

    def find_by_tag(self, tag: bytes, *, limit: int = 100, cursor: int | None = None) -> Page:
        check_window(limit)
        with self._lock:
            self._open()
            seqs = self._tags.get(tag, [])
            end = bisect.bisect_left(seqs, NO_CURSOR if cursor is None else cursor)
            return self._page(seqs[max(0, end - limit - 1) : end][::-1], limit)

    def find_by_address(
        self, address: bytes, *, limit: int = 100, cursor: int | None = None
    ) -> Page:
        check_window(limit)
        with self._lock:
            self._open()
            below = NO_CURSOR if cursor is None else cursor
            seqs = [self._messages[i].seq for i in self._entries.get(address, {})]
            newest = sorted((seq for seq in seqs if seq < below), reverse=True)
            return self._page(newest[: limit + 1], limit)

    def _page(self, seqs: list[int], limit: int) -> Page:
        """Build a page from up to ``limit + 1`` sequence numbers, newest first."""
        ids = tuple(self._by_seq[seq] for seq in seqs[:limit])
        return Page(ids, page_cursor(seqs, limit))

    def history(self, address: bytes, *, limit: int = 100, offset: int = 0) -> list[HistoryEntry]:
        check_window(limit, offset)
        with self._lock:
            self._open()
            entries = self._entries.get(address, {})
            ids = sorted(entries, key=lambda i: self._messages[i].seq, reverse=True)
            return [self._history_entry(i, entries[i]) for i in ids[offset : offset + limit]]

    def _history_entry(self, message_id: bytes, delta: int) -> HistoryEntry:
        stored = self._messages[message_id]
        return HistoryEntry(
            message_id, delta, stored.issued_at_ms, stored.milestone_index, stored.conflict
        )

    def apply_milestone(
        self,
        record: MilestoneRecord,
        confirmed: Sequence[tuple[bytes, Conflict]],
        balances: Mapping[bytes, int],
        holds: Sequence[HoldRecord] = (),
    ) -> None:
        """Check everything first, then change: a refused milestone changes nothing."""
        with self._lock:
            self._open()
            if record.index in self._milestones:
                raise StorageError(f"milestone {record.index} is already applied")
            check_int64([record.index, record.timestamp_ms, record.confirmed_count], "milestone")
            check_int64(balances.values(), "balance")
            check_int64((v for h in holds for v in (h.hold.amount, h.hold.expires_at_ms)), "hold")
            for h in holds:  # like the SQL upsert: a stored hold keeps its opened_in
                known = self._holds.get(h.hold.id)
                self._holds[h.hold.id] = (
                    h if known is None else replace(h, opened_in=known.opened_in)
                )
            for message_id, conflict in confirmed:
                stored = self._messages.get(message_id)
                if stored is not None:
                    stored.milestone_index, stored.conflict = record.index, Conflict(conflict)
            for address, amount in balances.items():
                if amount:
                    self._balances[address] = amount
                else:
                    self._balances.pop(address, None)
            self._milestones[record.index] = record

    def milestone(self, index: int) -> MilestoneRecord | None:
        with self._lock:
            self._open()
            return self._milestones.get(index)

    def latest_milestone(self) -> MilestoneRecord | None:
        with self._lock:
            self._open()
            return self._milestones[max(self._milestones)] if self._milestones else None

    def balances(self) -> dict[bytes, int]:
        with self._lock:
            self._open()
            return dict(self._balances)

    def applied_transfers(self, since_issued_at_ms: int) -> list[bytes]:
        with self._lock:
            self._open()
            stored = sorted(self._messages.values(), key=lambda s: s.seq)
            return [
                s.raw
                for s in stored
                if s.kind in PAYMENT_KINDS
                and s.milestone_index is not None
                and s.conflict == Conflict.NONE
                and s.issued_at_ms >= since_issued_at_ms
            ]

    def open_holds(self) -> list[HoldRecord]:
        with self._lock:
            self._open()
            return [
                self._holds[i]
                for i in sorted(self._holds)
                if self._holds[i].status is HoldStatus.OPEN
            ]

    def hold(self, hold_id: bytes) -> HoldRecord | None:
        with self._lock:
            self._open()
            return self._holds.get(hold_id)

    def unconfirmed(self) -> list[tuple[bytes, bool]]:
        with self._lock:
            self._open()
            stored = sorted(self._messages.values(), key=lambda s: s.seq)
            return [(s.raw, s.solid) for s in stored if s.milestone_index is None]

    def message_count(self) -> int:
        with self._lock:
            self._open()
            return len(self._messages)

    def close(self) -> None:
        with self._lock:
            self._closed = True
