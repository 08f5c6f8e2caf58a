"""Events and subscriptions, in the shape of the TM Forum notification hub (TMF630/TMF688).

An event goes out as the TMF688 body ``{"eventId", "eventTime", "eventType",
"event"}``; a subscription names a callback and an optional ``query`` in TMF
syntax: ``eventType=ContractCreateEvent,OfferStateChangeEvent&event.offer.state=active``
(event types are alternatives; every other field must equal its value).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from plaza.notify.errors import InvalidEvent, InvalidSubscription

__all__ = ["Event", "EventQuery", "Subscription", "check_callback"]

#: Event types become MQTT topic levels and query values: letters and digits only.
_EVENT_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9]{0,99}")

#: Participants (addresses, agent ids) become topic levels: no wildcards, no slashes.
_PARTICIPANT = re.compile(r"[A-Za-z0-9_.:-]{1,128}")

_QUERY_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened in the marketplace, for whoever listens.

    ``participants`` are the parties it concerns (buyer, seller, device); each
    gets it on its own MQTT topic.
    """

    id: str
    type: str
    time_ms: int
    payload: Mapping[str, Any]
    participants: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _EVENT_TYPE.fullmatch(self.type):
            raise InvalidEvent(f"type {self.type!r} must match {_EVENT_TYPE.pattern}")
        for participant in self.participants:
            if not _PARTICIPANT.fullmatch(participant):
                raise InvalidEvent(f"participant {participant!r} must match {_PARTICIPANT.pattern}")

    @classmethod
    def new(
        cls,
        event_type: str,
        payload: Mapping[str, Any],
        *,
        time_ms: int,
        participants: tuple[str, ...] = (),
    ) -> Event:
        """An event with a fresh random id (the receivers' deduplication key)."""
        return cls(uuid.uuid4().hex, event_type, time_ms, payload, participants)

    def body(self) -> dict[str, Any]:
        """The TMF688 JSON body that webhooks, MQTT and the live stream all carry."""
        time = datetime.fromtimestamp(self.time_ms / 1000, tz=UTC)
        return {
            "eventId": self.id,
            "eventTime": time.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "eventType": self.type,
            "event": dict(self.payload),
        }

    def encode(self) -> bytes:
        """The body as compact UTF-8 JSON: the exact bytes that are signed and sent."""
        try:
            text = json.dumps(self.body(), separators=(",", ":"), sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise InvalidEvent(f"payload is not JSON: {error}") from error
        return text.encode()


@dataclass(frozen=True, slots=True)
class EventQuery:
    """Which events a subscriber wants; empty matches everything.

    ``fields`` are dotted paths into the TMF688 body (``event.contract.state``)
    with the text the value must equal (JSON ``true``/``false``/numbers as
    written in JSON).
    """

    event_types: frozenset[str] = frozenset()
    fields: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, query: str) -> EventQuery:
        """Read a TMF ``query`` string; :class:`InvalidSubscription` on anything else."""
        types: set[str] = set()
        fields: list[tuple[str, str]] = []
        try:
            pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
        except ValueError as error:
            raise InvalidSubscription(f"query is not name=value pairs: {error}") from error
        for name, value in pairs:
            if name == "eventType":
                for event_type in value.split(","):
                    if not _EVENT_TYPE.fullmatch(event_type):
                        raise InvalidSubscription(f"eventType {event_type!r} is not an event type")
                    types.add(event_type)
            elif _QUERY_FIELD.fullmatch(name):
                fields.append((name, value))
            else:
                raise InvalidSubscription(f"query field {name!r} is not a dotted name")
        return cls(frozenset(types), tuple(sorted(fields)))

    def render(self) -> str:
        """The query string again, canonical (sorted), as the hub shows it back."""
        parts = [f"eventType={','.join(sorted(self.event_types))}"] if self.event_types else []
        parts += [f"{name}={quote(value, safe='')}" for name, value in self.fields]
        return "&".join(parts)

    def matches(self, event: Event) -> bool:
        if self.event_types and event.type not in self.event_types:
            return False
        body = event.body()
        return all(_text_at(body, path) == value for path, value in self.fields)


def _text_at(body: Mapping[str, Any], path: str) -> str | None:
    """The value at a dotted path as text, or ``None`` if absent or not a scalar."""
    value: Any = body
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    return None


@dataclass(frozen=True, slots=True)
class Subscription:
    """A registered callback. ``secret`` keys the HMAC and is kept out of ``repr``."""

    id: str
    callback: str
    query: EventQuery
    secret: str = field(repr=False)
    created_ms: int = 0


def check_callback(url: str) -> None:
    """Only absolute ``http(s)`` URLs with a host; no credentials in the URL."""
    try:
        parts = urlsplit(url)
        has_port_ok = parts.port is None or parts.port > 0
    except ValueError as error:
        raise InvalidSubscription(f"callback is not a URL: {error}") from error
    if parts.scheme not in {"http", "https"} or not parts.hostname or not has_port_ok:
        raise InvalidSubscription("callback must be an absolute http(s) URL with a host")
    if parts.username or parts.password:
        raise InvalidSubscription("callback must not carry credentials; the HMAC authenticates")
    if parts.fragment:
        raise InvalidSubscription("callback must not have a fragment")
