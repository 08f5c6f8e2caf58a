"""Server-sent events from a fan-out subscription: the node's and the marketplace's streams.

The response starts with a comment, so a client holding the headers knows it
is subscribed; a comment every ``keepalive_s`` keeps idle connections open
through proxies and lets the server notice a vanished client. The subscription
is closed however the response ends, cancelled before its first chunk included.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse

from plaza.fanout import FanOutSubscription

__all__ = ["sse_response"]

T = TypeVar("T")
_BATCH = 1023
_CHUNKS_KEPT = 64

#: Streams with the same filter get the same batches: the bytes of a batch are made once
#: and shared (each stream would otherwise encode its own copy of the text). An entry
#: holds its items (and its renderer), so their ids stay theirs.
_chunks: OrderedDict[tuple[int, ...], tuple[object, list[Any], bytes]] = OrderedDict()
_chunks_lock = threading.Lock()


def _chunk(items: list[T], render: Callable[[T], str]) -> bytes:
    key = (id(render), *map(id, items))
    cached = _chunks.get(key)  # a read needs no lock; writes take it
    if cached is not None and cached[0] is render:
        return cached[2]
    data = "".join(map(render, items)).encode()
    with _chunks_lock:
        _chunks[key] = (render, items, data)
        while len(_chunks) > _CHUNKS_KEPT:
            _chunks.popitem(last=False)
    return data


async def _records(
    subscription: FanOutSubscription[T], render: Callable[[T], str], keepalive_s: float
) -> AsyncIterator[str | bytes]:
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
            yield _chunk([item, *subscription.ready(_BATCH)], render)
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
