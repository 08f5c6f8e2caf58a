"""The real clock: the one place that reads the time; everything else is handed a clock."""

from __future__ import annotations

import time

__all__ = ["SystemClock"]


class SystemClock:
    """The real clock. Only this module constructs it; everything else is handed a clock."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000
