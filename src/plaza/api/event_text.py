"""The SSE records of ledger events, written straight to text.

A node renders each event it streams once, however many streams carry it, on the
server's thread while ingest runs on others in the same process. Through the
pydantic views that took about ten microseconds an event, a fifth of what
ingesting the message costs, so merely having streams open (idle ones included)
cost ingest that much. The text here is the views' JSON byte for byte (the unit
tests compare the two over awkward tags); the views remain the documented schema,
and milestones, one a second, still go through theirs.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from json.encoder import encode_basestring

from plaza.api.views import address_text, conflict_name, milestone_view, payload_kind, tag_text
from plaza.ledger.events import LedgerEvent, MessageAttached, MessageConfirmed, MilestoneApplied
from plaza.ledger.model import Conflict

__all__ = ["event_record"]


def event_record(event: LedgerEvent) -> str:
    """``event: <kind>`` and ``data: <json>``, ending in the blank line that ends a record."""
    match event:
        case MessageAttached():
            return f"event: message\ndata: {_message_json(event)}\n\n"
        case MessageConfirmed():
            return f"event: confirmed\ndata: {_confirmed_json(event)}\n\n"
        case MilestoneApplied(record=record):
            return f"event: milestone\ndata: {milestone_view(record).model_dump_json()}\n\n"


def _message_json(event: MessageAttached) -> str:
    """:class:`plaza.api.schemas.MessageEventView`'s JSON."""
    message = event.message
    return (
        f'{{"id":"{message.id.hex()}","kind":"{payload_kind(message.payload)}",'
        f'"tag":"{message.tag.hex()}","tag_text":{_tag_text_json(message.tag)},'
        f'"issuer":"{message.issuer.hex()}",'
        f'"parents":{_plain_strings([parent.hex() for parent in message.parents])},'
        f'"addresses":{_plain_strings(map(address_text, event.addresses))}}}'
    )


def _confirmed_json(event: MessageConfirmed) -> str:
    """:class:`plaza.api.schemas.ConfirmedEventView`'s JSON."""
    state = "confirmed" if event.conflict is Conflict.NONE else "conflicting"
    return (
        f'{{"id":"{event.message_id.hex()}","milestone_index":{event.milestone_index},'
        f'"state":"{state}","conflict":"{conflict_name(event.conflict)}",'
        f'"tag":"{event.tag.hex()}","tag_text":{_tag_text_json(event.tag)},'
        f'"addresses":{_plain_strings(map(address_text, event.addresses))}}}'
    )


@functools.lru_cache(maxsize=4096)
def _tag_text_json(tag: bytes) -> str:
    """The one field that may need escaping, as pydantic escapes it (``json.dumps`` with
    ``ensure_ascii=False`` does the same); cached, since a few tags make most traffic."""
    text = tag_text(tag)
    return "null" if text is None else encode_basestring(text)


def _plain_strings(items: Iterable[str]) -> str:
    """A JSON array of strings that need no escaping (hex, bech32m, names)."""
    joined = '","'.join(items)
    return f'["{joined}"]' if joined else "[]"
