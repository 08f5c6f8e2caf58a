"""Conversions from ledger values to the API's wire shapes, in one place.

Every byte string leaves as lower-case hex and every address as bech32m, so a
client sees one spelling of each value whichever endpoint or event it reads.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from plaza.api.hold_views import hold_payload_view
from plaza.api.schemas import (
    CarriedMessageView,
    CarrierPayloadView,
    ConfirmedEventView,
    ConflictName,
    CoSignatureView,
    DataPayloadView,
    HistoryEntryView,
    KindName,
    MessageEventView,
    MessageView,
    MetadataView,
    MilestonePayloadView,
    MilestoneView,
    OutputView,
    PayloadView,
    StateName,
    TransferPayloadView,
)
from plaza.crypto import Address
from plaza.ledger.actions import transfer_key
from plaza.ledger.events import MessageAttached, MessageConfirmed
from plaza.ledger.model import (
    CarrierPayload,
    ConfirmationState,
    Conflict,
    DataPayload,
    HoldPayload,
    Message,
    MessageMetadata,
    MilestonePayload,
    MilestoneRecord,
    Payload,
    PayloadKind,
    PayPayload,
    ReleasePayload,
    SettlePayload,
    TransferPayload,
)
from plaza.ledger.ports import HistoryEntry

__all__ = [
    "CONFLICT_NAMES",
    "KIND_NAMES",
    "STATE_NAMES",
    "address_text",
    "confirmed_event_view",
    "conflict_name",
    "history_entry_view",
    "message_event_view",
    "message_view",
    "metadata_view",
    "milestone_view",
    "payload_kind",
    "payload_view",
    "tag_text",
]


def tag_text(tag: bytes) -> str | None:
    """The tag as text when it is UTF-8, so clients can show and search it by name."""
    try:
        return tag.decode("utf-8")
    except UnicodeDecodeError:
        return None


@functools.lru_cache(maxsize=4096)
def address_text(raw: bytes) -> str:
    """The bech32m text of an address; cached, since the same addresses recur in every
    event and page a node serves."""
    return str(Address(raw))


#: Spelled out rather than derived from enum names, so renaming a ledger enum member
#: cannot silently change the API (``tests/unit/api`` checks every member is here).
CONFLICT_NAMES: Mapping[Conflict, ConflictName] = {
    Conflict.NONE: "none",
    Conflict.INSUFFICIENT_FUNDS: "insufficient_funds",
    Conflict.REPLAYED: "replayed",
    Conflict.EXPIRED: "expired",
    Conflict.HOLD_NOT_OPEN: "hold_not_open",
    Conflict.WRONG_SECRET: "wrong_secret",
    Conflict.NOT_ALLOWED: "not_allowed",
}
STATE_NAMES: Mapping[ConfirmationState, StateName] = {
    ConfirmationState.HELD: "held",
    ConfirmationState.PENDING: "pending",
    ConfirmationState.CONFIRMED: "confirmed",
    ConfirmationState.CONFLICTING: "conflicting",
}
KIND_NAMES: Mapping[PayloadKind, KindName] = {
    PayloadKind.DATA: "data",
    PayloadKind.TRANSFER: "transfer",
    PayloadKind.MILESTONE: "milestone",
    PayloadKind.HOLD: "hold",
    PayloadKind.RELEASE: "release",
    PayloadKind.SETTLE: "settle",
    PayloadKind.PAY: "pay",
    PayloadKind.CARRIER: "carrier",
}


def conflict_name(conflict: Conflict) -> ConflictName:
    return CONFLICT_NAMES[conflict]


def payload_kind(payload: Payload) -> KindName:
    return KIND_NAMES[payload.KIND]


def payload_view(payload: Payload, issuer: bytes, key: bytes = b"") -> PayloadView:
    """``key`` is the message's transfer key: a hold's id."""
    match payload:
        case DataPayload(tag=tag, data=data):
            return DataPayloadView(tag=tag.hex(), tag_text=tag_text(tag), data=data.hex())
        case TransferPayload(outputs=outputs, tag=tag, data=data):
            return TransferPayloadView(
                payer=str(Address.from_public_key(issuer)),
                outputs=[
                    OutputView(address=address_text(o.address), amount=o.amount) for o in outputs
                ],
                total=payload.total,
                tag=tag.hex(),
                tag_text=tag_text(tag),
                data=data.hex(),
            )
        case MilestonePayload():
            return MilestonePayloadView(
                index=payload.index,
                previous=payload.previous.hex(),
                inclusion_root=payload.inclusion_root.hex(),
                state_root=payload.state_root.hex(),
                signatures=[
                    CoSignatureView(public_key=s.public_key.hex(), signature=s.signature.hex())
                    for s in payload.signatures
                ],
            )
        case HoldPayload() | ReleasePayload() | SettlePayload() | PayPayload():
            return hold_payload_view(payload, issuer, key)
        case CarrierPayload(messages=messages):
            return CarrierPayloadView(messages=[_carried_view(m) for m in messages])


def _carried_view(message: Message) -> CarriedMessageView:
    return CarriedMessageView(
        id=message.id.hex(),
        issuer=message.issuer.hex(),
        issued_at_ms=message.issued_at_ms,
        tag=message.tag.hex(),
        tag_text=tag_text(message.tag),
    )


def metadata_view(metadata: MessageMetadata) -> MetadataView:
    return MetadataView(
        id=metadata.id.hex(),
        state=STATE_NAMES[metadata.state],
        solid=metadata.solid,
        milestone_index=metadata.milestone_index,
        conflict=conflict_name(metadata.conflict),
        carrier=None if metadata.carrier is None else metadata.carrier.hex(),
    )


def message_view(message: Message, metadata: MessageMetadata) -> MessageView:
    return MessageView(
        id=message.id.hex(),
        version=message.version,
        network_id=message.network_id,
        parents=[parent.hex() for parent in message.parents],
        issuer=message.issuer.hex(),
        issuer_address=str(Address.from_public_key(message.issuer)),
        issued_at_ms=message.issued_at_ms,
        nonce=message.nonce,
        signature=message.signature.hex(),
        payload=payload_view(message.payload, message.issuer, transfer_key(message)),
        metadata=metadata_view(metadata),
    )


def milestone_view(record: MilestoneRecord) -> MilestoneView:
    return MilestoneView(
        index=record.index,
        message_id=record.message_id.hex(),
        timestamp_ms=record.timestamp_ms,
        inclusion_root=record.inclusion_root.hex(),
        state_root=record.state_root.hex(),
        confirmed_count=record.confirmed_count,
    )


def history_entry_view(entry: HistoryEntry, state: ConfirmationState) -> HistoryEntryView:
    return HistoryEntryView(
        message_id=entry.message_id.hex(),
        delta=entry.delta,
        issued_at_ms=entry.issued_at_ms,
        milestone_index=entry.milestone_index,
        state=STATE_NAMES[state],
        conflict=conflict_name(entry.conflict),
    )


def message_event_view(event: MessageAttached) -> MessageEventView:
    message = event.message
    return MessageEventView(
        id=message.id.hex(),
        kind=payload_kind(message.payload),
        tag=message.tag.hex(),
        tag_text=tag_text(message.tag),
        issuer=message.issuer.hex(),
        parents=[parent.hex() for parent in message.parents],
        addresses=[address_text(address) for address in event.addresses],
    )


def confirmed_event_view(event: MessageConfirmed) -> ConfirmedEventView:
    conflicting = event.conflict is not Conflict.NONE
    return ConfirmedEventView(
        id=event.message_id.hex(),
        milestone_index=event.milestone_index,
        state="conflicting" if conflicting else "confirmed",
        conflict=conflict_name(event.conflict),
        tag=event.tag.hex(),
        tag_text=tag_text(event.tag),
        addresses=[address_text(address) for address in event.addresses],
    )
