"""How hard guessing is made: a lockout per account, a rate limit per client address.

* **Per account** (:class:`LoginPolicy`): ``max_failures`` wrong passwords within
  ``window_ms`` lock the account for ``lock_ms``; while locked every login is
  refused, the right password too, and the message says when to retry. The
  failures live in the account store, so every process serving the market counts
  the same ones.
* **Per address** (:class:`AddressLimiter`): at most ``limit`` attempts (logins and
  sign-ups, right or wrong) from one client address per ``window_ms``, so one
  client cannot lock many accounts or try one password on each. In memory: a
  process forgets it on restart, which only ever lets a client try again sooner.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from plaza.clock import Clock
from plaza.market.accounts.errors import TooManyAttempts

__all__ = ["AddressLimiter", "LoginPolicy"]

_MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    """Lockout and session figures; the defaults are what ``plaza demo`` and tests use."""

    max_failures: int = 5
    window_ms: int = 15 * _MINUTE_MS
    lock_ms: int = 15 * _MINUTE_MS
    session_ms: int = 8 * 60 * _MINUTE_MS
    attempts_per_address: int = 30
    address_window_ms: int = 5 * _MINUTE_MS


class AddressLimiter:
    """A sliding window of attempt times per client address."""

    def __init__(self, clock: Clock, *, limit: int, window_ms: int) -> None:
        if limit < 1 or window_ms < 1:
            raise ValueError("a limit and a window are positive")
        self._clock = clock
        self._limit = limit
        self._window_ms = window_ms
        self._lock = threading.Lock()
        self._attempts: dict[str, deque[int]] = {}
        self._next_sweep_ms = 0

    def attempt(self, address: str) -> None:
        """Count one attempt from ``address``, or refuse it with :class:`TooManyAttempts`
        (a refused attempt is not counted: waiting out the window always works)."""
        now_ms = self._clock.now_ms()
        since_ms = now_ms - self._window_ms
        with self._lock:
            if now_ms >= self._next_sweep_ms:  # once a window, drop the addresses gone quiet
                self._next_sweep_ms = now_ms + self._window_ms
                for quiet in list(self._attempts):
                    self._forget(quiet, since_ms)
            times = self._forget(address, since_ms)
            if len(times) >= self._limit:
                raise TooManyAttempts(times[0] + self._window_ms)
            times.append(now_ms)
            self._attempts[address] = times

    def _forget(self, address: str, since_ms: int) -> deque[int]:
        """The address's attempts after ``since_ms``; an address with none is dropped."""
        times = self._attempts.get(address, deque())
        while times and times[0] <= since_ms:
            times.popleft()
        if times:
            return times
        self._attempts.pop(address, None)
        return times
