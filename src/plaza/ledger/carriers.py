"""How the node treats carriers: messages that carry other, signed data messages.

A carrier is an ordinary tangle message; what it carries is not. Each carried
message is filed under its tag and served by its id with its carrier's
solidity and confirmation (``docs/protocol.md``, "Carried messages"), but it is
no vertex: no tip, no edges, no gossip of its own, no unconfirmed message. This
module holds the rules that make that so, for admission, validation, gossip and
the tangle to call:

* a carried message arriving on its own is refused (:func:`check_not_carried`, as
  admission decodes it, before asking whether the id is known), and gossip never
  sends one (:func:`is_carried_raw`);
* a carrier's carried signatures are verified in the same batch as everything
  else (:func:`signed_items`);
* carried messages are filed when their carrier becomes solid, each once, under
  the first carrier that brings it (:func:`file_carried`), and announced and
  confirmed with it (:func:`attached_events`, :func:`confirmed_events`).
"""

from __future__ import annotations

from collections.abc import Sequence

from plaza.ledger.codec import SIGNING_DOMAIN
from plaza.ledger.confirmation import PendingEntry
from plaza.ledger.errors import CarriedAlone, InvalidCarrier, InvalidSignature, MessageRejected
from plaza.ledger.events import MessageAttached, MessageConfirmed
from plaza.ledger.model import CARRIED_PARENT, ID_SIZE, CarrierPayload, Conflict, Message
from plaza.ledger.ports import TangleStore

__all__ = [
    "Filed",
    "attached_events",
    "carried_of",
    "check_not_carried",
    "confirmed_events",
    "file_carried",
    "is_carried_raw",
    "signature_error",
    "signed_items",
]

#: The carried messages filed under each carrier (by the carrier's id).
Filed = dict[bytes, tuple[Message, ...]]


def carried_of(message: Message) -> tuple[Message, ...]:
    payload = message.payload
    return payload.messages if isinstance(payload, CarrierPayload) else ()


def check_not_carried(message: Message) -> None:
    """Refuse a message that names the zero parent: a carried message travels only inside
    a carrier (alone, it did no work, and its parent is no message)."""
    if CARRIED_PARENT in message.parents:
        raise CarriedAlone(message.id)


def is_carried_raw(raw: bytes) -> bool:
    """Whether canonical bytes name the zero parent, without decoding them: parents are
    ascending, so it would be the first, right after version, network and count (6 bytes)."""
    return raw[6 : 6 + ID_SIZE] == CARRIED_PARENT


def signed_items(message: Message) -> list[tuple[bytes, bytes, bytes]]:
    """The message's own signature to verify, then those of the messages it carries."""
    return [
        (m.issuer, SIGNING_DOMAIN + m.essence, m.signature) for m in (message, *carried_of(message))
    ]


def signature_error(verdicts: Sequence[bool]) -> MessageRejected | None:
    """The error for the verdicts of :func:`signed_items`, in that order, or None."""
    if not verdicts[0]:
        return InvalidSignature()
    for index, valid in enumerate(verdicts[1:]):
        if not valid:
            return InvalidCarrier(f"carried message {index}: issuer signature does not verify")
    return None


def file_carried(store: TangleStore, carriers: Sequence[Message]) -> Filed:
    """File what ``carriers`` (now solid) carry, and say what is filed under each.

    A carried message already filed stays under its first carrier (a publisher that
    crashed may send the same bytes in a second carrier), so it is not the second
    one's to announce or confirm. Filing again is harmless: recovery after a crash
    between storing a carrier and filing its messages simply files them.
    """
    carrying = [c for c in carriers if isinstance(c.payload, CarrierPayload)]
    if not carrying:
        return {}
    owners = store.carriers_of(m.id for c in carrying for m in carried_of(c))
    filings: list[tuple[bytes, Message]] = []
    filed: Filed = {}
    for carrier in carrying:
        mine: list[Message] = []
        for message in carried_of(carrier):
            owner = owners.setdefault(message.id, carrier.id)
            if owner == carrier.id:
                mine.append(message)
                filings.append((carrier.id, message))
        filed[carrier.id] = tuple(mine)
    if filings:  # none when every message was filed under earlier carriers
        store.file_carried(filings)
    return filed


def attached_events(carrier: bytes, filed: Sequence[Message]) -> list[MessageAttached]:
    """Tag followers are told of each carried message filed as its carrier attaches."""
    return [MessageAttached(message, (), carrier) for message in filed]


def confirmed_events(entry: PendingEntry, milestone_index: int) -> list[MessageConfirmed]:
    """... and that it was confirmed with its carrier (a carrier never conflicts)."""
    return [
        MessageConfirmed(carried_id, milestone_index, Conflict.NONE, tag, ())
        for carried_id, tag in entry.carried
    ]
