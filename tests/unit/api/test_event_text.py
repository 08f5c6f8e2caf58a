"""The event stream's records are written straight to text (cheap enough that open
streams, idle ones included, cost ingest little) yet say exactly what the views say."""

from __future__ import annotations

import os

import pytest

from plaza.api.event_text import event_record
from plaza.api.views import confirmed_event_view, message_event_view, milestone_view
from plaza.crypto import Address
from plaza.ledger.compose import compose
from plaza.ledger.events import MessageAttached, MessageConfirmed, MilestoneApplied
from plaza.ledger.model import Conflict, DataPayload, MilestoneRecord, Output, TransferPayload
from plaza.ledger.pow import NoWork
from plaza.testing.builders import key_from_number

SIGNER = key_from_number(7)
AWKWARD_TAGS = [
    b"",
    b"sensor-1",
    b'quote " and backslash \\',
    b"control \x00\x01\x08\x0c\x1f\n\r\t and \x7f",
    "é€😀 \u2028".encode(),
    b"\xff\xfe not utf-8",
    b"</script>",
]


def _attached(payload: DataPayload | TransferPayload, *addresses: bytes) -> MessageAttached:
    message = compose(
        SIGNER,
        network_id=1,
        parents=[os.urandom(32), os.urandom(32)],
        payload=payload,
        issued_at_ms=1_700_000_000_000,
        work=NoWork(),
    )
    return MessageAttached(message, addresses)


@pytest.mark.parametrize("tag", AWKWARD_TAGS)
def test_a_message_record_is_its_views_json(tag: bytes) -> None:
    payer = Address.from_public_key(SIGNER.public_key.raw).raw
    events = [
        _attached(DataPayload(tag, b"data")),
        _attached(TransferPayload((Output(os.urandom(32), 5),), tag), payer, os.urandom(32)),
    ]
    for event in events:
        expected = message_event_view(event).model_dump_json()
        assert event_record(event) == f"event: message\ndata: {expected}\n\n"


@pytest.mark.parametrize("conflict", list(Conflict))
@pytest.mark.parametrize("tag", AWKWARD_TAGS)
def test_a_confirmed_record_is_its_views_json(tag: bytes, conflict: Conflict) -> None:
    for addresses in [(), (os.urandom(32),), (os.urandom(32), os.urandom(32))]:
        event = MessageConfirmed(os.urandom(32), 12, conflict, tag, addresses)
        expected = confirmed_event_view(event).model_dump_json()
        assert event_record(event) == f"event: confirmed\ndata: {expected}\n\n"


def test_a_milestone_record_is_its_views_json() -> None:
    record = MilestoneRecord(3, os.urandom(32), 1_700_000_000_000, os.urandom(32), b"\0" * 32, 9)
    expected = milestone_view(record).model_dump_json()
    assert event_record(MilestoneApplied(record)) == f"event: milestone\ndata: {expected}\n\n"
