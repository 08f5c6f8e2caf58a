"""Messages, milestones and page walks for the TangleStore contract suite.

Messages are built with the real codec and a zero signature: storage never
checks signatures, and real bytes keep the SQL stores' decoding honest.
"""

from __future__ import annotations

import itertools

from plaza.ledger.codec import assemble, encode_essence
from plaza.ledger.model import (
    CARRIED_PARENT,
    CarrierPayload,
    DataPayload,
    Message,
    MilestoneRecord,
    Output,
    TransferPayload,
)
from plaza.ledger.ports import AddressEntry, NewMessage, TangleStore

__all__ = [
    "ALICE",
    "BOB",
    "CAROL",
    "ROOT",
    "all_pages",
    "carried",
    "carrier",
    "message",
    "paying",
    "record",
    "solid",
    "transfer",
]

_counter = itertools.count()
ROOT = bytes(32)  # any id will do as the parent of a first message
ALICE, BOB, CAROL = bytes([1]) * 32, bytes([2]) * 32, bytes([3]) * 32


def message(
    *, parents: tuple[bytes, ...] = (ROOT,), tag: bytes = b"", issued_at: int = 1_000
) -> Message:
    """A data message, unique thanks to a counter in its data."""
    payload = DataPayload(tag=tag, data=next(_counter).to_bytes(8, "little"))
    return _assemble(parents, issued_at, payload)


def carried(tag: bytes, *, issued_at: int = 1_000) -> Message:
    """A message for a carrier: one zero parent, nonce 0, unique by a counter."""
    payload = DataPayload(tag=tag, data=next(_counter).to_bytes(8, "little"))
    return _assemble((CARRIED_PARENT,), issued_at, payload)


def carrier(*messages: Message, issued_at: int = 1_000) -> Message:
    """A carrier of ``messages`` (storage files what it is told; it checks nothing).

    Its parent is not ROOT, which is 32 zero bytes like a carried message's parent."""
    return _assemble((bytes([4]) * 32,), issued_at, CarrierPayload(messages))


def transfer(payee: bytes, amount: int, *, issued_at: int = 1_000) -> Message:
    payload = TransferPayload(
        outputs=(Output(payee, amount),), data=next(_counter).to_bytes(8, "little")
    )
    return _assemble((ROOT,), issued_at, payload)


def _assemble(
    parents: tuple[bytes, ...],
    issued_at: int,
    payload: DataPayload | TransferPayload | CarrierPayload,
) -> Message:
    essence = encode_essence(
        network_id=7, parents=parents, issuer=bytes(32), issued_at_ms=issued_at, payload=payload
    )
    return assemble(essence, signature=bytes(64), nonce=0)


def paying(payer: bytes, payee: bytes, amount: int) -> NewMessage:
    """A solid transfer with its two address entries."""
    entries = (AddressEntry(payer, -amount), AddressEntry(payee, amount))
    return NewMessage(transfer(payee, amount), solid=True, entries=entries)


def solid(*messages: Message) -> list[NewMessage]:
    return [NewMessage(m, solid=True) for m in messages]


def record(index: int, *, count: int = 0) -> MilestoneRecord:
    return MilestoneRecord(index, bytes([index]) * 32, 10_000 + index, b"i" * 32, b"s" * 32, count)


def all_pages(store: TangleStore, tag: bytes, limit: int) -> list[bytes]:
    """Every id under ``tag``, following cursors; each full page but the last is checked."""
    ids: list[bytes] = []
    page = store.find_by_tag(tag, limit=limit)
    ids.extend(page.ids)
    while page.next_cursor is not None:
        assert len(page.ids) == limit
        page = store.find_by_tag(tag, limit=limit, cursor=page.next_cursor)
        ids.extend(page.ids)
    return ids
