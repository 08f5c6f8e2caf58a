"""One live event stream for all the worker processes of a marketplace on PostgreSQL.

Each worker serves its own ``/events`` subscribers from its own
:class:`~plaza.notify.stream.EventStream`, but a participant's events happen in
whichever worker took the request. :class:`SharedEventStream` hands every event it
publishes to its own subscribers and to PostgreSQL (``pg_notify`` on a channel named
for the marketplace's schema); a thread of each worker LISTENs on that channel and
hands on what the other workers published, so a stream hears every event once, as it
does from a marketplace of one process. Live streams are lossy by nature (a slow
subscriber loses events, and so would a worker whose listening connection is down
while it reconnects); webhooks and MQTT go through the job queue and lose nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import secrets
import threading
from typing import Any

import psycopg

from plaza.notify.model import Event
from plaza.notify.stream import EventStream

__all__ = ["SharedEventStream", "channel_for"]

log = logging.getLogger(__name__)

#: PostgreSQL refuses a notification payload of 8,000 bytes or more.
_MAX_PAYLOAD = 7_900
_RECONNECT_S = 1.0


def channel_for(schema: str | None) -> str:
    """The notification channel of the marketplace in ``schema`` (a valid identifier)."""
    digest = hashlib.sha256((schema or "public").encode()).hexdigest()[:16]
    return f"plaza_events_{digest}"


class SharedEventStream(EventStream):
    """An :class:`EventStream` whose events also reach the streams of the other workers."""

    def __init__(self, dsn: str, channel: str, *, capacity: int = 1_000) -> None:
        super().__init__(capacity=capacity)
        self._dsn, self._channel = dsn, channel
        self._origin = secrets.token_hex(8)
        self._stop = threading.Event()
        self._sending = threading.Lock()
        self._sender: psycopg.Connection[Any] | None = None
        self._listening = threading.Event()  # set once this worker hears the others
        self._thread = threading.Thread(target=self._listen, name="plaza-events", daemon=True)
        self._thread.start()

    def wait_listening(self, timeout: float) -> bool:
        """Whether the LISTEN is in place within ``timeout`` seconds (tests, start-up)."""
        return self._listening.wait(timeout)

    def publish(self, event: Event) -> None:
        super().publish(event)
        payload = json.dumps({"origin": self._origin, "event": _encode(event)})
        if len(payload.encode()) > _MAX_PAYLOAD:
            log.warning("event %s too large to share with the other workers", event.id)
            return
        with self._sending:
            try:
                if self._sender is None or self._sender.closed:
                    self._sender = psycopg.connect(self._dsn, autocommit=True)
                self._sender.execute("SELECT pg_notify(%s, %s)", (self._channel, payload))
            except psycopg.Error as error:  # the local subscribers have it; the others miss it
                log.warning("event %s not shared with the other workers: %s", event.id, error)
                self._sender = None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        with self._sending:
            if self._sender is not None:
                with contextlib.suppress(psycopg.Error):
                    self._sender.close()
                self._sender = None

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True) as conn:
                    conn.execute(f'LISTEN "{self._channel}"')
                    self._listening.set()
                    self._hear(conn)
            except psycopg.Error as error:
                log.warning("not hearing the other workers' events: %s", error)
            self._listening.clear()
            self._stop.wait(_RECONNECT_S)

    def _hear(self, conn: psycopg.Connection[Any]) -> None:
        while not self._stop.is_set():
            for notice in conn.notifies(timeout=0.5):
                message = json.loads(notice.payload)
                if message["origin"] != self._origin:
                    super().publish(_decode(message["event"]))


def _encode(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "time_ms": event.time_ms,
        "payload": dict(event.payload),
        "participants": list(event.participants),
    }


def _decode(fields: dict[str, Any]) -> Event:
    return Event(
        str(fields["id"]),
        str(fields["type"]),
        int(fields["time_ms"]),
        fields["payload"],
        tuple(str(p) for p in fields["participants"]),
    )
