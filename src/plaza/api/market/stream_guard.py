"""Live streams end with the credential that opened them.

A stream is authenticated once, when it opens, and then runs for hours; so
revoking an API key, its expiry passing, or the market excluding a participant
would otherwise leave that stream delivering. The guard remembers who opened
each live stream and ends those whose credential no longer holds: at once after
a revocation (the route sweeps), and on every periodic round otherwise (expiry
and exclusion happen without a request to hook). Ending a subscription makes
its SSE response close, as a reader that fell behind is closed.
"""

from __future__ import annotations

import threading
from typing import Protocol

from plaza.market.auth import (
    ApiKeyService,
    ParticipantNotFound,
    ParticipantRegistry,
    Principal,
    PrincipalKind,
)

__all__ = ["StreamGuard"]


class Closable(Protocol):
    """A live subscription, as the guard sees it: something to end (from any thread)."""

    def close(self) -> None: ...


class StreamGuard:
    """Open streams by the principal that opened them; :meth:`sweep` ends the stale."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[Closable, Principal] = {}

    def watch(self, caller: Principal, subscription: Closable) -> None:
        with self._lock:
            self._open[subscription] = caller

    def forget(self, subscription: Closable) -> None:
        with self._lock:
            self._open.pop(subscription, None)

    def sweep(self, api_keys: ApiKeyService, registry: ParticipantRegistry) -> int:
        """End every stream whose key or participant no longer holds; how many ended."""
        with self._lock:
            watched = list(self._open.items())
        # One check per credential, however many streams it opened.
        holds = {caller: _holds(caller, api_keys, registry) for caller in {c for _, c in watched}}
        stale = [sub for sub, caller in watched if not holds[caller]]
        for subscription in stale:
            subscription.close()
            self.forget(subscription)
        return len(stale)

    def __len__(self) -> int:
        with self._lock:
            return len(self._open)


def _holds(caller: Principal, api_keys: ApiKeyService, registry: ParticipantRegistry) -> bool:
    if caller.kind is PrincipalKind.API_KEY and caller.api_key_id is not None:
        return api_keys.is_active(caller.api_key_id)
    if caller.participant_id is None:
        return True
    try:
        return not registry.get(caller.participant_id).excluded
    except ParticipantNotFound:
        return False
