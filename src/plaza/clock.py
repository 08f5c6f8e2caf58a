"""Time, as every part of Plaza reads it: through a :class:`Clock` it is handed.

Reminders, deadlines, expiry, milestone intervals, retries and request windows
all take a clock, so tests jump a fake one (:class:`plaza.testing.FakeClock`)
instead of sleeping. :class:`SystemClock` is the one place that reads the wall
clock; composition roots (``plaza.bootstrap``, the clients' defaults) construct it.
"""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    """Where a component reads time; tests pass a fake one and move it by hand."""

    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch."""
        ...


class SystemClock:
    """The real clock."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000
