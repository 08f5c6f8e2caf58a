"""Server-sent events from a fan-out subscription: the node's and the marketplace's streams.

The response starts with a comment, so a client holding the headers knows it
is subscribed; a comment every ``keepalive_s`` keeps idle connections open
through proxies and lets the server notice a vanished client. The subscription
is closed however the response ends, cancelled before its first chunk included.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse

from plaza.fanout import FanOutSubscription

__all__ = ["sse_response"]

T = TypeVar("T")
_BATCH = 255


async def _records(
    subscription: FanOutSubscription[T], render: Callable[[T], str], keepalive_s: float
) -> AsyncIterator[str]:
    try:
        yield ": subscribed\n\n"
        while True:
            try:
                item = await asyncio.wait_for(subscription.__anext__(), keepalive_s)
            except TimeoutError:
                yield ": keepalive\n\n"
                continue
            except StopAsyncIteration:
                if subscription.overflowed:
                    yield ": fell behind; reconnect and catch up from the queries\n\n"
                return
            # Whatever else is queued goes in the same write: one send per wake-up, not
            # one per event, keeps many streams cheap for the node.
            yield "".join(render(each) for each in (item, *subscription.ready(_BATCH)))
    finally:
        subscription.close()


def sse_response(
    subscription: FanOutSubscription[T], render: Callable[[T], str], *, keepalive_s: float
) -> StreamingResponse:
    """Stream ``subscription`` as SSE records, each rendered by ``render``."""
    return StreamingResponse(
        _records(subscription, render, keepalive_s),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        background=BackgroundTask(subscription.close),
    )
