"""The real clock, for the composition root: :class:`plaza.clock.SystemClock`."""

from __future__ import annotations

from plaza.clock import SystemClock

__all__ = ["SystemClock"]
