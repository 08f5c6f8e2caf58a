"""Token buckets, one per client, for work a node does on request (proof of work, faucet).

What a refusal raises is the caller's choice (``limited``), so each service keeps
its own error code and the bucket stays one implementation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from plaza.ledger.errors import PowRateLimited
from plaza.ledger.ports import Clock

__all__ = ["TokenBucket"]


class TokenBucket:
    """``rate`` requests per second per key, with bursts up to ``burst``.

    ``limited`` builds the error raised when a key has no token left, from the
    seconds until it will have one.
    """

    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        clock: Clock,
        max_keys: int = 10_000,
        limited: Callable[[float], Exception] = PowRateLimited,
    ) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._max_keys = max_keys
        self._limited = limited
        self._buckets: dict[str, tuple[float, int]] = {}  # key -> (tokens, last ms)
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        """Spend one token of ``key``'s bucket or raise the ``limited`` error."""
        now = self._clock.now_ms()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self._burst), now))
            tokens = min(float(self._burst), tokens + (now - last) / 1000 * self._rate)
            if tokens < 1:
                raise self._limited((1 - tokens) / self._rate)
            if key not in self._buckets and len(self._buckets) >= self._max_keys:
                self._buckets.clear()  # bounded memory; forgetting is generous, not unsafe
            self._buckets[key] = (tokens - 1, now)
