"""Notifications: the TM Forum hub (webhooks) and the live event stream (SSE).

Both deliver the TMF688 body ``{"eventId", "eventTime", "eventType", "event"}``
and both are pinned to the caller's own events
(:func:`~plaza.api.market.notifications.pinned_query`). A webhook subscription
is a record the marketplace keeps and acts on, so registering and removing one
is a write (``market:write``: not auditors, not read-only keys); following the
live stream is a read. The webhook secret is returned once, at creation.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from starlette.background import BackgroundTask, BackgroundTasks
from starlette.responses import StreamingResponse

from plaza.api.errors import error_responses
from plaza.api.market.auth import CallerDep, ServicesDep
from plaza.api.market.notifications import pinned_query, subscriber_of
from plaza.api.market.schemas import ID_PATTERN, HubCreatedView, HubIn
from plaza.api.sse import sse_response
from plaza.market.auth import (
    Forbidden,
    Principal,
    Visibility,
    check_can_read,
    check_can_write,
)
from plaza.notify import Event

__all__ = ["router"]

router = APIRouter(tags=["notifications"])

_STREAM_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {
        "description": "an endless stream of `event: <eventType>` / `data: <TMF688 JSON>` records",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


def _reader(caller: Principal) -> str:
    """The caller's participant id, once it is clear the caller may read its own events."""
    assert caller.participant_id is not None
    check_can_read(caller, caller.participant_id, Visibility.PRIVATE)
    return caller.participant_id


def _writer(caller: Principal) -> str:
    """The caller's participant id, once it is clear the caller may change its own records."""
    assert caller.participant_id is not None
    check_can_write(caller, caller.participant_id)
    return caller.participant_id


@router.post("/hub", status_code=201, responses=error_responses(400, 401, 403))
def subscribe(
    body: HubIn, caller: CallerDep, services: ServicesDep, response: Response
) -> HubCreatedView:
    """Register a webhook for the caller's events (TMF ``query`` optional); deliveries are
    signed with the secret in this answer: ``X-Plaza-Signature: sha256=HMAC(secret,
    timestamp.body)``."""
    query = pinned_query(body.query, _writer(caller))
    subscription = services.hub.register(body.callback, query=query)
    response.headers["Cache-Control"] = "no-store"
    return HubCreatedView(
        id=subscription.id,
        callback=subscription.callback,
        query=subscription.query.render(),
        secret=subscription.secret,
    )


@router.delete("/hub/{subscription_id}", status_code=204, responses=error_responses(401, 403, 404))
def unsubscribe(
    subscription_id: Annotated[str, Path(pattern=ID_PATTERN)],
    caller: CallerDep,
    services: ServicesDep,
) -> Response:
    """Stop deliveries to one of the caller's webhooks, retries included."""
    subscription = services.hub.subscription(subscription_id)
    if subscriber_of(subscription) != _writer(caller):
        raise Forbidden("remove a subscription", "it is not the caller's")
    services.hub.unregister(subscription_id)
    return Response(status_code=204)


def _record(event: Event) -> str:
    return f"id: {event.id}\nevent: {event.type}\ndata: {event.encode().decode()}\n\n"


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={**_STREAM_RESPONSE, **error_responses(400, 401, 403)},
)
async def stream_events(
    caller: CallerDep,
    services: ServicesDep,
    query: Annotated[str, Query(max_length=2048, description="a TMF query, as for /hub")] = "",
) -> StreamingResponse:
    """The caller's events as they happen (nothing is replayed: read the records to catch up).
    The stream ends when the credential that opened it ends: its API key revoked or
    expired, its participant excluded."""
    pinned = pinned_query(query, _reader(caller))
    subscription = services.stream.subscribe(pinned)
    services.streams.watch(caller, subscription)
    response = sse_response(subscription, _record, keepalive_s=services.config.keepalive_s)
    ending = [response.background] if response.background is not None else []
    forget = BackgroundTask(services.streams.forget, subscription)
    response.background = BackgroundTasks([*ending, forget])
    return response
