"""Reading how a call's hold closed, off the ledger: the result, or the refund's reason.

A release carries the provider's secret ``S`` and, as its tag, the id of the result
record on the provider's public channel; with the side key ``K`` the customer
derives the result key and the locator, and checks both. A payee's settlement
carries the reason sealed under a key of ``K``.
"""

from __future__ import annotations

from plaza.channels import InvalidChannelData
from plaza.channels.envelope import decode_record
from plaza.ledger.holds import HoldRecord, hashlock_of
from plaza.ledger.model import DataPayload, ReleasePayload, SettlePayload
from plaza.ledger.ports import LedgerReader
from plaza.services.errors import InvalidCallData
from plaza.services.sealing import (
    locator,
    open_reason,
    open_result,
    result_key,
    unwrap_result_record,
)

__all__ = ["read_reason", "read_result"]


def read_result(ledger: LedgerReader, record: HoldRecord, call_id: bytes, side_key: bytes) -> bytes:
    """The decrypted result of a released hold; :class:`InvalidCallData` if the provider
    was paid without publishing a result this customer can read (evidence against it)."""
    release = None if record.closed_by is None else ledger.message(record.closed_by)
    payload = None if release is None else release.payload
    if (
        not isinstance(payload, ReleasePayload)
        or hashlock_of(payload.secret) != record.hold.hashlock
    ):
        raise InvalidCallData("the hold's release is not on the ledger")
    result = ledger.message(payload.tag) if len(payload.tag) == 32 else None
    data = result.payload if result is not None else None
    if not isinstance(data, DataPayload):
        raise InvalidCallData("the provider was paid but its release names no result record")
    try:
        label, sealed = unwrap_result_record(decode_record(data.data).content)
    except InvalidChannelData as error:
        raise InvalidCallData(f"the result record does not decode: {error}") from None
    if label != locator(side_key, call_id):
        raise InvalidCallData("the result record is another call's")
    opened = open_result(result_key(payload.secret, side_key, call_id), call_id, sealed)
    return opened.rstrip(b" ")  # the padding after the JSON


def read_reason(ledger: LedgerReader, record: HoldRecord, call_id: bytes, side_key: bytes) -> str:
    """Why the provider refunded the hold, as it said it (or what is known when it did not)."""
    settle = None if record.closed_by is None else ledger.message(record.closed_by)
    payload = None if settle is None else settle.payload
    if not isinstance(payload, SettlePayload):
        return "the hold was settled"
    if not payload.data:
        return "the provider refunded the call without a reason"
    try:
        return open_reason(side_key, call_id, payload.data)
    except InvalidCallData:
        return "the provider refunded the call with a reason this customer cannot read"
