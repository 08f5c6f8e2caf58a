"""Reading the node's Server-Sent Events stream.

The parser follows the WHATWG event-stream rules (comments, multi-line
``data``, a blank line dispatches) rather than assuming the node's exact
framing, so it keeps working through proxies that re-chunk the stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import httpx

from plaza.clients.errors import NodeUnreachableError, UnexpectedResponseError
from plaza.clients.node.models import ClientEvent

__all__ = ["EventStreamReader", "ServerSentEvent", "parse_sse"]


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    event: str
    data: str
    id: str | None = None


def parse_sse(lines: Iterable[str]) -> Iterator[ServerSentEvent]:
    """Events from the stream's lines (without their line endings)."""
    event = ""
    data: list[str] = []
    last_id: str | None = None
    for line in lines:
        if not line:
            if data:
                yield ServerSentEvent(event or "message", "\n".join(data), last_id)
            event, data = "", []
            continue
        if line.startswith(":"):
            continue  # a comment: the node's keepalive
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "id" and "\0" not in value:
            last_id = value


class EventStreamReader(Iterator[ClientEvent]):
    """An open event stream: iterate it for events, close it (or use ``with``) when done.

    The node subscribed before answering, so every event after
    :meth:`NodeClient.events` returned is delivered. Iteration ends when the
    node closes the stream (it does so to a reader that falls far behind).
    """

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self._events = parse_sse(response.iter_lines())

    def __next__(self) -> ClientEvent:
        try:
            record = next(self._events)
        except httpx.TransportError as error:
            raise NodeUnreachableError(f"event stream interrupted: {error!r}") from error
        try:
            data = json.loads(record.data)
        except ValueError as error:
            raise UnexpectedResponseError(f"event data is not JSON: {record.data!r}") from error
        if not isinstance(data, dict):
            raise UnexpectedResponseError(f"event data is not an object: {record.data!r}")
        return ClientEvent(record.event, data)

    def close(self) -> None:
        """Close the connection; the node then drops its subscription."""
        self._response.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
