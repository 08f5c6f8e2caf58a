"""Live ledger events as Server-Sent Events (``text/event-stream``).

SSE rather than a WebSocket because the stream is one-way, works through
plain HTTP proxies, and every language has a reader. The node subscribes
before the response starts, so a client holding the response headers knows
every later event reaches it. A comment line every ``keepalive_s`` keeps idle
connections open through proxies and lets the server notice a vanished
client; the subscription is closed whichever way the stream ends. A client
that falls too far behind is disconnected (see :mod:`plaza.node.events`) and
catches up from the lookups.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import StreamingResponse

from plaza.api.deps import (
    MAX_ADDRESS_TEXT,
    ConfigDep,
    RuntimeDep,
    client_host,
    parse_address,
    parse_tag,
)
from plaza.api.errors import HELD_RETRY_AFTER_S, RequestProblem, error_responses
from plaza.api.event_text import event_record
from plaza.api.sse import sse_response
from plaza.ledger.events import LedgerEvent
from plaza.node import EventFilter
from plaza.node.errors import SubscriberLimitReached

__all__ = ["EVENT_KINDS", "format_event", "router"]

router = APIRouter(tags=["events"])

EVENT_KINDS = ("message", "confirmed", "milestone")
_RENDERED_KEPT = 4096
_rendered: OrderedDict[int, tuple[LedgerEvent, str]] = OrderedDict()
_rendered_lock = threading.Lock()
MAX_FOLLOWED_TAGS = 64

_STREAM_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {
        "description": "an endless stream of `event: <kind>` / `data: <json>` records",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


def format_event(event: LedgerEvent) -> str:
    """The SSE record of ``event``, rendered once however many subscribers stream it."""
    cached = _rendered.get(id(event))  # a read needs no lock; writes take it
    if cached is not None and cached[0] is event:
        return cached[1]
    text = event_record(event)
    with _rendered_lock:
        _rendered[id(event)] = (event, text)  # holding the event keeps its id from reuse
        if len(_rendered) > _RENDERED_KEPT:
            _rendered.popitem(last=False)
    return text


def _parse_kinds(kinds: str | None) -> frozenset[str]:
    if kinds is None:
        return frozenset()
    wanted = frozenset(kind.strip() for kind in kinds.split(",") if kind.strip())
    unknown = wanted - set(EVENT_KINDS)
    if unknown:
        raise RequestProblem(
            400, "invalid_request", f"unknown event kinds {sorted(unknown)}; use {EVENT_KINDS}"
        )
    return wanted


def _parse_tags(tag: str | None, tag_hex: str | None, tags_hex: str | None) -> frozenset[bytes]:
    single = parse_tag(tag, tag_hex)
    if tags_hex is None:
        return frozenset() if single is None else frozenset({single})
    if single is not None:
        raise RequestProblem(400, "invalid_request", "give tag, tag_hex or tags_hex, not several")
    items = [item for item in tags_hex.split(",") if item]
    if not 1 <= len(items) <= MAX_FOLLOWED_TAGS:
        raise RequestProblem(
            400, "invalid_request", f"tags_hex lists 1 to {MAX_FOLLOWED_TAGS} tags"
        )
    return frozenset(parsed for item in items if (parsed := parse_tag(None, item)) is not None)


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={**_STREAM_RESPONSE, **error_responses(400, 429)},
)
async def stream_events(
    *,
    request: Request,
    runtime: RuntimeDep,
    config: ConfigDep,
    kinds: Annotated[
        str | None,
        Query(max_length=100, description="comma-separated: message,confirmed,milestone"),
    ] = None,
    tag: Annotated[str | None, Query(max_length=256, description="only this tag (text)")] = None,
    tag_hex: Annotated[str | None, Query(max_length=256, description="only this tag (hex)")] = None,
    tags_hex: Annotated[
        str | None,
        Query(max_length=64 * 129, description="any of these tags: comma-separated hex, up to 64"),
    ] = None,
    address: Annotated[
        str | None, Query(max_length=MAX_ADDRESS_TEXT, description="only events touching it")
    ] = None,
) -> StreamingResponse:
    """Subscribe to ledger events; milestones pass only when no tag or address is given.

    Streams are capped per client host and in all: 429 ``subscriber_limit_reached``."""
    event_filter = EventFilter(
        kinds=_parse_kinds(kinds),
        tags=_parse_tags(tag, tag_hex, tags_hex),
        address=parse_address(address).raw if address is not None else None,
    )
    try:
        subscription = runtime.events.subscribe(event_filter, client=client_host(request))
    except SubscriberLimitReached as full:
        # The refused connection is closed too: a client opening streams by the thousand
        # holds no more than its cap of the node's sockets.
        headers = {"Retry-After": str(HELD_RETRY_AFTER_S), "Connection": "close"}
        raise RequestProblem(429, full.code, str(full), headers=headers) from None
    return sse_response(subscription, format_event, keepalive_s=config.keepalive_s)
