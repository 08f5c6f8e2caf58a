"""Live explorer updates: the node's event stream, relayed to the browser as HTML.

The page's Content-Security-Policy lets it connect to its own origin only, and the
node may be on another port or host, so the web app subscribes to the node
(``GET /api/v1/events?kinds=milestone,confirmed``) and relays each event as a
Server-Sent Event whose data is the HTML fragment htmx's SSE extension swaps in
(``sse-swap="milestone"``). Keepalives pass through; the relay ends when the
node closes the stream or the browser goes away.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

__all__ = ["RELAYED", "relay_events", "sse_frame"]

#: The node's event kinds the explorer shows live.
RELAYED = ("milestone", "confirmed")
_KEEPALIVE = ": keepalive\n\n"


def sse_frame(event: str, html: str) -> str:
    """One SSE event carrying ``html`` (its lines each a ``data:`` line)."""
    lines = "".join(f"data: {line}\n" for line in html.splitlines() or [""])
    return f"event: {event}\n{lines}\n"


async def relay_events(
    node_url: str,
    render: Callable[[str, dict[str, Any]], str],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[str]:
    """SSE frames for the browser: ``render(kind, data)`` of each of the node's events. A node
    that cannot be reached or drops the stream ends it; the browser's EventSource retries."""
    try:
        async for frame in _relay(node_url, render, transport):
            yield frame
    except (httpx.HTTPError, ValueError):
        return


async def _relay(
    node_url: str,
    render: Callable[[str, dict[str, Any]], str],
    transport: httpx.AsyncBaseTransport | None,
) -> AsyncIterator[str]:
    timeout = httpx.Timeout(10.0, read=60.0)  # the node sends a keepalive every 15 s
    async with (
        httpx.AsyncClient(base_url=node_url, timeout=timeout, transport=transport) as client,
        client.stream(
            "GET",
            "/api/v1/events",
            params={"kinds": ",".join(RELAYED)},
            headers={"accept": "text/event-stream"},
        ) as response,
    ):
        if response.status_code != 200:
            return
        yield _KEEPALIVE  # the browser sees the stream open at once
        kind, data = "", []
        async for line in response.aiter_lines():
            if line.startswith(":"):
                yield _KEEPALIVE
            elif line.startswith("event:"):
                kind = line.partition(":")[2].strip()
            elif line.startswith("data:"):
                data.append(line.partition(":")[2].removeprefix(" "))
            elif not line and data:
                if kind in RELAYED:
                    yield sse_frame(kind, render(kind, json.loads("\n".join(data))))
                kind, data = "", []
