"""Token buckets, one per client, for work a node does on request (proof of work)."""

from __future__ import annotations

import threading

from plaza.ledger.errors import PowRateLimited
from plaza.ledger.ports import Clock

__all__ = ["TokenBucket"]


class TokenBucket:
    """``rate`` requests per second per key, with bursts up to ``burst``."""

    def __init__(self, *, rate: float, burst: int, clock: Clock, max_keys: int = 10_000) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, int]] = {}  # key -> (tokens, last ms)
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        """Spend one token of ``key``'s bucket or raise :class:`PowRateLimited`."""
        now = self._clock.now_ms()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self._burst), now))
            tokens = min(float(self._burst), tokens + (now - last) / 1000 * self._rate)
            if tokens < 1:
                raise PowRateLimited((1 - tokens) / self._rate)
            if key not in self._buckets and len(self._buckets) >= self._max_keys:
                self._buckets.clear()  # bounded memory; forgetting is generous, not unsafe
            self._buckets[key] = (tokens - 1, now)
