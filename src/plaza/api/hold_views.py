"""Held payments on the wire: the hold, release, settle and pay payloads, and a hold's state.

Kept apart from :mod:`plaza.api.views` so each file stays one concept; the
spelling rules are the same (hex bytes, bech32m addresses).
"""

from __future__ import annotations

from collections.abc import Mapping

from plaza.api.schemas import (
    HoldPayloadView,
    HoldStatusName,
    HoldView,
    PayPayloadView,
    ReleasePayloadView,
    SettlePayloadView,
)
from plaza.crypto import Address
from plaza.ledger.holds import HoldRecord, HoldStatus
from plaza.ledger.model import HoldPayload, PayPayload, ReleasePayload, SettlePayload

__all__ = ["HOLD_STATUS_NAMES", "hold_payload_view", "hold_view"]

#: Spelled out, like the conflict names, so renaming an enum member cannot change the API.
HOLD_STATUS_NAMES: Mapping[HoldStatus, HoldStatusName] = {
    HoldStatus.OPEN: "open",
    HoldStatus.RELEASED: "released",
    HoldStatus.SETTLED: "settled",
    HoldStatus.EXPIRED: "expired",
}


def _text(tag: bytes) -> str | None:
    try:
        return tag.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _arbiter(raw: bytes) -> str | None:
    return str(Address(raw)) if raw else None


def hold_payload_view(
    payload: HoldPayload | ReleasePayload | SettlePayload | PayPayload,
    issuer: bytes,
    hold_id: bytes,
) -> HoldPayloadView | ReleasePayloadView | SettlePayloadView | PayPayloadView:
    """``hold_id`` is the message's transfer key (meaningful for a hold alone)."""
    tag, tag_text = payload.tag.hex(), _text(payload.tag)
    match payload:
        case HoldPayload():
            return _opening_view(payload, issuer, hold_id)
        case ReleasePayload():
            return ReleasePayloadView(
                hold_id=payload.hold_id.hex(),
                secret=payload.secret.hex(),
                tag=tag,
                tag_text=tag_text,
            )
        case SettlePayload():
            return SettlePayloadView(
                hold_id=payload.hold_id.hex(),
                to_payee=payload.to_payee,
                tag=tag,
                tag_text=tag_text,
                data=payload.data.hex(),
            )
        case PayPayload():
            return PayPayloadView(
                hold_id=payload.hold_id.hex(),
                amount=payload.amount,
                tag=tag,
                tag_text=tag_text,
                data=payload.data.hex(),
            )


def _opening_view(payload: HoldPayload, issuer: bytes, hold_id: bytes) -> HoldPayloadView:
    """A hold's opening: the only payload that names no hold, so its id is the message's
    transfer key and its payer the message's issuer, both from outside the payload."""
    return HoldPayloadView(
        hold_id=hold_id.hex(),
        payer=str(Address.from_public_key(issuer)),
        payee=str(Address(payload.payee)),
        amount=payload.amount,
        expires_at_ms=payload.expires_at_ms,
        hashlock=payload.hashlock.hex(),
        arbiter=_arbiter(payload.arbiter),
        tag=payload.tag.hex(),
        tag_text=_text(payload.tag),
        data=payload.data.hex(),
    )


def hold_view(record: HoldRecord) -> HoldView:
    hold = record.hold
    return HoldView(
        id=hold.id.hex(),
        status=HOLD_STATUS_NAMES[record.status],
        payer=str(Address(hold.payer)),
        payee=str(Address(hold.payee)),
        amount=hold.amount,
        expires_at_ms=hold.expires_at_ms,
        hashlock=hold.hashlock.hex(),
        arbiter=_arbiter(hold.arbiter),
        to_payee=record.to_payee,
        remaining=record.remaining,
        refunded=record.refunded,
        opened_in=record.opened_in,
        closed_in=record.closed_in,
        closed_by=None if record.closed_by is None else record.closed_by.hex(),
    )
