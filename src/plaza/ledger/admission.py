"""Admission: which messages of a batch are rejected, already known, solid or held.

This is the first half of ingest, kept apart from :mod:`service` so it can be
read on its own: it decides, the tangle then stores and attaches. It reads the
store (what is known, parents' times) in one query per batch, not one per
message, because per-message queries would dominate ingest time.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from plaza.crypto import Address
from plaza.ledger.carriers import check_not_carried
from plaza.ledger.codec import decode_message
from plaza.ledger.confirmation import PendingEntry
from plaza.ledger.errors import LedgerError, MessageRejected
from plaza.ledger.model import HoldPayload, Message, TransferPayload
from plaza.ledger.ports import AddressEntry, NewMessage, TangleStore
from plaza.ledger.solidifier import Solidifier, Submitter
from plaza.ledger.validation import MessageValidator, check_parent_times

__all__ = [
    "AdmissionContext",
    "Admitted",
    "IngestResult",
    "IngestStatus",
    "address_entries",
    "admit",
]


class IngestStatus(enum.StrEnum):
    STORED = "stored"  # solid and durable
    HELD = "held"  # durable, waiting for a missing parent
    KNOWN = "known"  # the node already had it; nothing changed
    REJECTED = "rejected"  # invalid; nothing changed


@dataclass(frozen=True, slots=True)
class IngestResult:
    message_id: bytes | None
    status: IngestStatus
    error: LedgerError | None = None


@dataclass(frozen=True, slots=True)
class AdmissionContext:
    """What admission may read of the node: rules, store, and the in-memory sets."""

    validator: MessageValidator
    store: TangleStore
    pending: Mapping[bytes, PendingEntry]
    held: Solidifier
    genesis_id: bytes
    genesis_time_ms: int


@dataclass(slots=True)
class Admitted:
    results: list[IngestResult] = field(default_factory=list)
    new: list[NewMessage] = field(default_factory=list)
    held: list[Message] = field(default_factory=list)
    missing: dict[bytes, set[bytes]] = field(default_factory=dict)
    submitters: dict[bytes, Submitter] = field(default_factory=dict)
    held_by: Counter[Submitter] = field(default_factory=Counter)


def address_entries(message: Message) -> tuple[AddressEntry, ...]:
    """Net effect per address of a transfer; a payer that pays itself nets out once.

    A hold is the payer's alone (what leaves its balance): where the amount goes
    is decided later, by a release, a settlement or the deadline.
    """
    payload = message.payload
    if isinstance(payload, HoldPayload):
        return (AddressEntry(Address.from_public_key(message.issuer).raw, -payload.amount),)
    if not isinstance(payload, TransferPayload):
        return ()
    deltas = {Address.from_public_key(message.issuer).raw: -payload.total}
    for output in payload.outputs:
        deltas[output.address] = deltas.get(output.address, 0) + output.amount
    return tuple(AddressEntry(address, delta) for address, delta in deltas.items())


def admit(
    raws: Sequence[bytes],
    context: AdmissionContext,
    now_ms: int,
    submitters: Sequence[Submitter],
) -> Admitted:
    """Decide each of ``raws``; ``submitters[i]`` sent ``raws[i]`` (held messages count
    against its share of the held set)."""
    admitted = Admitted()
    decoded = _decode_all(raws)
    known = _known_ids([m for m in decoded if isinstance(m, Message)], context)
    decoded = _validate_unknown(decoded, known, context, now_ms)
    times = _stored_parent_times([m for m in decoded if isinstance(m, Message)], context)
    for item, submitter in zip(decoded, submitters, strict=True):
        if isinstance(item, LedgerError):
            admitted.results.append(IngestResult(None, IngestStatus.REJECTED, item))
        elif item.id in known:
            admitted.results.append(IngestResult(item.id, IngestStatus.KNOWN))
        else:
            result = _admit_one(item, submitter, times, admitted, context)
            if result.status is not IngestStatus.REJECTED:  # a refused copy is not "known"
                known.add(item.id)
            admitted.results.append(result)
    return admitted


def _admit_one(
    message: Message,
    submitter: Submitter,
    times: dict[bytes, int],
    admitted: Admitted,
    context: AdmissionContext,
) -> IngestResult:
    missing = {p for p in message.parents if p not in times}
    try:
        if missing:
            context.held.check_room(submitter, admitted.held_by[submitter], len(admitted.held))
            admitted.held.append(message)
            admitted.missing[message.id] = missing
            admitted.submitters[message.id] = submitter
            admitted.held_by[submitter] += 1
        else:
            check_parent_times(message, times)
            times[message.id] = message.issued_at_ms
    except LedgerError as error:
        return IngestResult(message.id, IngestStatus.REJECTED, error)
    admitted.new.append(NewMessage(message, not missing, address_entries(message)))
    return IngestResult(message.id, IngestStatus.HELD if missing else IngestStatus.STORED)


def _decode_all(raws: Sequence[bytes]) -> list[Message | LedgerError]:
    """Decoded, or why not; a carried message is refused here, before the store is asked
    whether it knows the id (a filed carried message is known, yet never travels alone)."""
    decoded: list[Message | LedgerError] = []
    for raw in raws:
        try:
            message = decode_message(raw)
            check_not_carried(message)
            decoded.append(message)
        except MessageRejected as error:
            decoded.append(error)
    return decoded


def _validate_unknown(
    decoded: list[Message | LedgerError],
    known: set[bytes],
    context: AdmissionContext,
    now_ms: int,
) -> list[Message | LedgerError]:
    """Validate what the node does not hold yet: a known id is the same bytes, already valid."""
    fresh = {i: m for i, m in enumerate(decoded) if isinstance(m, Message) and m.id not in known}
    errors = context.validator.check_many(list(fresh.values()), now_ms)
    checked = list(decoded)
    for i, error in zip(fresh, errors, strict=True):
        if error is not None:
            checked[i] = error
    return checked


def _known_ids(messages: Sequence[Message], context: AdmissionContext) -> set[bytes]:
    local = {m.id for m in messages if m.id in context.pending or m.id in context.held}
    rest = [m.id for m in messages if m.id not in local]
    return local | (context.store.existing(rest) if rest else set())


def _stored_parent_times(
    messages: Sequence[Message], context: AdmissionContext
) -> dict[bytes, int]:
    """Issue times of every parent that is solid already: in memory, genesis, or stored."""
    times = {context.genesis_id: context.genesis_time_ms}
    to_query: set[bytes] = set()
    for message in messages:
        for parent in message.parents:
            entry = context.pending.get(parent)
            if entry is not None:
                times[parent] = entry.issued_at_ms
            elif parent not in times:
                to_query.add(parent)
    if to_query:
        for parent, info in context.store.parent_info(to_query).items():
            times[parent] = info.issued_at_ms
    return times
