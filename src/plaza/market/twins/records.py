"""Digital twins of records an agent keeps: every state, signed, on a private channel.

The marketplace's own twins (:mod:`plaza.market.twins.recorder`) are restricted channels it
owns, read by the parties and auditors. Here the writer is an **agent** (a device, a
vertical's module) that keeps records of its own: it owns one **private** channel per
record (a transaction, a contract), created on the record's first state. Each entry is
a signed document (:class:`~plaza.market.auth.documents.DocumentFormat`, the agent's
family) of the state, so an entry proves who wrote it twice over: the channel's own
signature, and the agent's identity key over the state itself.

A twin is shared by its **reader key** (:func:`reader_key_text`, URL-safe base64): an
agent sends it with its offer so the marketplace can check the offer against the
ledger, and an auditor reads whole twins with it. :func:`audit_twin` reads a twin back
and checks it against the states a database says the record went through.

Refusals: :class:`~plaza.market.errors.InvalidTwinKey` for a reader key that is not
one, :class:`~plaza.market.errors.TwinUnavailable` for a state the ledger could not
take and that was never saved, and the document format's refusal for a state that
cannot be signed (a float).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from plaza.channels import (
    Channel,
    ChannelEntry,
    ChannelError,
    ChannelLedger,
    ChannelMode,
    CursorStore,
    Publisher,
    Reader,
    ReaderKey,
    decode_reader_key,
    encode_reader_key,
)
from plaza.clock import Clock
from plaza.crypto import Identity, PublicKey
from plaza.ledger.codec import decode_message
from plaza.ledger.errors import LedgerAccessError
from plaza.market.auth.documents import DocumentFormat
from plaza.market.auth.errors import AuthError
from plaza.market.errors import InvalidTwinKey, TwinUnavailable

__all__ = [
    "Confirmed",
    "MemoryTwinIndex",
    "RecordTwins",
    "TwinAudit",
    "TwinEntry",
    "TwinIndex",
    "TwinStep",
    "audit_twin",
    "parse_reader_key",
    "read_twin",
    "reader_key_text",
]

log = logging.getLogger(__name__)
#: What keeps a twin from being written or read now: the channel or the ledger below it.
_UNWRITTEN = (ChannelError, LedgerAccessError)

Confirmed = Callable[[bytes], bool]
"""Whether the ledger message with this id is confirmed (referenced by a milestone)."""


class TwinIndex(Protocol):
    """Record id to the channel of its twin; each agent keeps it in its own database."""

    def twin_channel(self, record_id: str) -> bytes | None: ...

    def remember_twin(self, record_id: str, channel_id: bytes) -> None: ...


class MemoryTwinIndex:
    """:class:`TwinIndex` in memory (tests, agents without a database)."""

    def __init__(self) -> None:
        self._channels: dict[str, bytes] = {}

    def twin_channel(self, record_id: str) -> bytes | None:
        return self._channels.get(record_id)

    def remember_twin(self, record_id: str, channel_id: bytes) -> None:
        self._channels.setdefault(record_id, channel_id)


@dataclass(frozen=True, slots=True)
class TwinStep:
    """Where one state landed: its position on the twin and its ledger message."""

    record_id: str
    position: int
    message_id: str
    pending: bool = False  # saved with the twin's cursor, not yet accepted by the ledger


def reader_key_text(key: ReaderKey) -> str:
    return base64.urlsafe_b64encode(encode_reader_key(key)).decode("ascii")


def parse_reader_key(text: object) -> ReaderKey:
    if not isinstance(text, str) or not text:
        raise InvalidTwinKey("twin must be a reader key (URL-safe base64)")
    try:
        return decode_reader_key(base64.urlsafe_b64decode(text.encode("ascii")))
    except (binascii.Error, ValueError, ChannelError) as error:
        raise InvalidTwinKey(f"twin is not a valid reader key: {error}") from None


class RecordTwins:
    """One agent's twin recorder: a private channel per record, opened on demand."""

    def __init__(
        self,
        *,
        documents: DocumentFormat,
        identity: Identity,
        gateway: ChannelLedger,
        cursors: CursorStore,
        index: TwinIndex,
        clock: Clock,
        cache_size: int = 128,
    ) -> None:
        self._documents = documents
        self._identity = identity
        self._gateway = gateway
        self._cursors = cursors
        self._index = index
        self._clock = clock
        self._open: OrderedDict[str, Publisher] = OrderedDict()
        self._pending: set[str] = set()
        self._last_entry: dict[str, ChannelEntry] = {}  # of twins reopened, until written
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def record(self, record_id: str, state: Mapping[str, Any]) -> TwinStep:
        """Append ``state``, signed by this agent, to the record's twin (created if new).

        If the ledger does not take the message but its bytes were saved with the
        twin's cursor, the state *is* recorded: it is ``pending`` and goes to the
        ledger with the twin's next write or :meth:`flush`. Retrying instead would
        write it twice. Only a state that was never saved raises.

        A twin reopened from its cursor (a restart) remembers its last entry: the
        same state again is the one a crash left on the twin before the caller
        could note it, so its step is returned and nothing is written twice.
        Signed documents are deterministic, so "the same" is byte for byte.
        """
        document = self._documents.sign(state, self._identity)
        content = json.dumps(document, sort_keys=True).encode()
        with self._lock:
            publisher = self._publisher(record_id)
            last = self._last_entry.pop(record_id, None)
            if last is not None and last.content == content:
                return TwinStep(record_id, last.position, last.message_id.hex())
            position = publisher.position
            try:
                published = publisher.publish(content)
            except _UNWRITTEN as error:
                in_flight = publisher.state.in_flight
                if publisher.position == position or in_flight is None:
                    raise TwinUnavailable(str(error)) from None
                log.warning("twin of %s: state saved, ledger later: %s", record_id, error)
                self._pending.add(record_id)
                message_id = decode_message(in_flight.raw).id.hex()
                return TwinStep(record_id, position, message_id, pending=True)
        return TwinStep(record_id, published.position, published.message_id.hex())

    def flush(self) -> int:
        """Send the saved states the ledger did not take yet; how many twins are still behind."""
        with self._lock:
            for record_id in sorted(self._pending):
                try:
                    self._publisher(record_id).recover()
                except _UNWRITTEN as error:
                    log.warning("twin of %s still behind: %s", record_id, error)
                else:
                    self._pending.discard(record_id)
            return len(self._pending)

    def reader_key(self, record_id: str) -> str:
        """The key that reads the record's whole twin (what the seed calls channel details)."""
        with self._lock:
            return reader_key_text(self._publisher(record_id).reader_key(0))

    def _publisher(self, record_id: str) -> Publisher:
        publisher = self._open.get(record_id)
        if publisher is not None:
            self._open.move_to_end(record_id)
            return publisher
        channel_id = self._index.twin_channel(record_id)
        if channel_id is None:
            channel = Channel.create(ChannelMode.PRIVATE, self._identity)
            publisher = Publisher.create(self._gateway, self._cursors, channel, clock=self._clock)
            self._index.remember_twin(record_id, channel.id)
        else:
            publisher = Publisher.open(self._gateway, self._cursors, channel_id, clock=self._clock)
            self._remember_last_entry(record_id, publisher)
        self._open[record_id] = publisher
        if len(self._open) > self._cache_size:
            oldest = next((r for r in self._open if r not in self._pending), None)
            if oldest is not None:  # a twin behind stays open until flushed
                del self._open[oldest]
        return publisher

    def _remember_last_entry(self, record_id: str, publisher: Publisher) -> None:
        if publisher.position == 0:
            return
        try:
            reader = Reader(self._gateway, publisher.reader_key(publisher.position - 1))
            last = next(iter(reader.read(limit=1)), None)
        except _UNWRITTEN as error:  # unreadable now: a repeat could not be told apart
            log.warning("twin of %s: last entry unreadable: %s", record_id, error)
            return
        if last is not None:
            self._last_entry[record_id] = last


@dataclass(frozen=True, slots=True)
class TwinEntry:
    position: int
    message_id: str
    confirmed: bool
    state: dict[str, Any] = field(repr=False)


@dataclass(frozen=True, slots=True)
class TwinAudit:
    """What an auditor found on one twin; ``ok`` only if nothing is wrong."""

    entries: tuple[TwinEntry, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "problems": list(self.problems),
            "entries": [
                {
                    "position": e.position,
                    "messageId": e.message_id,
                    "confirmed": e.confirmed,
                    "state": e.state,
                }
                for e in self.entries
            ],
        }


def read_twin(
    gateway: ChannelLedger,
    key: ReaderKey,
    signer: PublicKey,
    confirmed: Confirmed,
    *,
    documents: DocumentFormat,
) -> tuple[list[TwinEntry], list[str]]:
    """Every state on a twin signed by ``signer`` as a document of ``documents``; what could
    not be read goes to problems."""
    entries: list[TwinEntry] = []
    problems: list[str] = []
    try:
        for entry in Reader(gateway, key).read():
            try:
                state = documents.verify(json.loads(entry.content), signer)
            except (AuthError, ValueError) as error:
                why = getattr(error, "reason", error)  # the document's own words, not the family's
                problems.append(f"position {entry.position}: {why}")
                continue
            entries.append(
                TwinEntry(
                    entry.position, entry.message_id.hex(), confirmed(entry.message_id), state
                )
            )
    except _UNWRITTEN as error:
        problems.append(f"twin unreadable: {error}")
    return entries, problems


def audit_twin(
    gateway: ChannelLedger,
    key: ReaderKey,
    *,
    signer: PublicKey,
    confirmed: Confirmed,
    expected: Sequence[Mapping[str, Any]],
    documents: DocumentFormat,
) -> TwinAudit:
    """Check a twin against the states a database recorded, in order.

    Every expected state must be on the twin, in the same order and equal field
    by field, signed by ``signer`` and confirmed on the ledger; the twin must hold
    nothing else.
    """
    entries, problems = read_twin(gateway, key, signer, confirmed, documents=documents)
    for index, wanted in enumerate(expected):
        if index >= len(entries):
            problems.append(f"state {index} ({wanted.get('status', '?')}) is not on the twin")
            continue
        entry = entries[index]
        if entry.state != dict(wanted):
            differing = sorted(
                k for k in set(entry.state) | set(wanted) if entry.state.get(k) != wanted.get(k)
            )
            problems.append(f"state {index} differs from the database in {', '.join(differing)}")
        if not entry.confirmed:
            problems.append(f"state {index} (message {entry.message_id}) is not confirmed")
    if len(entries) > len(expected):
        problems.append(f"the twin holds {len(entries) - len(expected)} states the database lacks")
    return TwinAudit(tuple(entries), tuple(problems))
