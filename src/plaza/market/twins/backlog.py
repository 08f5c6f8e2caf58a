"""Admission by twin lag: the marketplace takes new work only while its twins keep up.

The outbox takes twin states off the request path, so a load the publisher cannot keep
up with no longer slows requests: it grows the outbox instead, and with it the time from
a state committed to its twin on the ledger, without limit (the market benchmark's
bursts left the last states of 400 contracts 8-25 s behind). :class:`TwinBacklog` bounds
it. Before a command that makes new twins (an order, an asset, a manual match) the
marketplace asks it; once the oldest state still pending was committed more than
``limit_ms`` ago, the command is refused with :class:`~plaza.market.errors.TwinsBehind`
(HTTP 503 with ``Retry-After``) and changes nothing. Steps of contracts already made are
never refused: they finish the work in flight, and the backlog drains.

The figure is read from the outbox, which every worker process of one database shares,
at most once per ``refresh_ms``: a request costs a clock read, not a query.
"""

from __future__ import annotations

import math
import threading
from typing import Protocol

from plaza.clock import Clock
from plaza.market.errors import TwinsBehind

__all__ = ["OldestPending", "TwinBacklog"]


class OldestPending(Protocol):
    """The part of :class:`~plaza.market.twins.outbox.TwinOutbox` the backlog reads."""

    def oldest_pending_ms(self) -> int | None: ...


class TwinBacklog:
    """Refuses new work while the oldest pending twin state is older than ``limit_ms``."""

    def __init__(
        self, outbox: OldestPending, clock: Clock, *, limit_ms: int, refresh_ms: int = 250
    ) -> None:
        if limit_ms <= 0:
            raise ValueError("a twin lag limit is a positive number of milliseconds")
        self._outbox = outbox
        self._clock = clock
        self._limit_ms = limit_ms
        self._refresh_ms = refresh_ms
        self._lock = threading.Lock()
        self._read_at_ms: int | None = None
        self._oldest_ms: int | None = None

    @property
    def limit_ms(self) -> int:
        return self._limit_ms

    def lag_ms(self) -> int:
        """How long ago the oldest pending state was committed (0: none pending)."""
        now = self._clock.now_ms()
        with self._lock:
            if self._read_at_ms is None or now - self._read_at_ms >= self._refresh_ms:
                self._oldest_ms = self._outbox.oldest_pending_ms()
                self._read_at_ms = now
            oldest = self._oldest_ms
        return 0 if oldest is None else max(0, now - oldest)

    def admit(self) -> None:
        """Return if new work may go on; raise :class:`TwinsBehind` otherwise."""
        lag = self.lag_ms()
        if lag > self._limit_ms:
            retry = max(1, math.ceil(min(lag - self._limit_ms, self._limit_ms) / 1000))
            raise TwinsBehind(lag_ms=lag, limit_ms=self._limit_ms, retry_after_s=retry)
