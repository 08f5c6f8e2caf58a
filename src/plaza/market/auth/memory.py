"""In-memory adapters of the auth ports: the reference behaviour, for tests and demos.

Each store guards its state with a lock, so the contract's concurrency promises
(one winner per nonce) hold across threads as they do in the databases.
"""

from __future__ import annotations

import dataclasses
import heapq
import threading
from collections.abc import Sequence

from plaza.market.auth.errors import ParticipantExists, ParticipantNotFound
from plaza.market.auth.model import ApiKey, Participant

__all__ = ["MemoryApiKeyStore", "MemoryNonceStore", "MemoryParticipantStore"]


def _check_window(limit: int, offset: int) -> None:
    if limit < 1 or offset < 0:
        raise ValueError("limit must be positive and offset not negative")


class MemoryParticipantStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._participants: dict[str, Participant] = {}

    def add(self, participant: Participant) -> None:
        with self._lock:
            if participant.id in self._participants:
                raise ParticipantExists(participant.id)
            self._participants[participant.id] = participant

    def get(self, participant_id: str) -> Participant | None:
        with self._lock:
            return self._participants.get(participant_id)

    def update(self, participant: Participant) -> None:
        with self._lock:
            if participant.id not in self._participants:
                raise ParticipantNotFound(participant.id)
            self._participants[participant.id] = participant

    def list(self, *, limit: int = 100, offset: int = 0) -> Sequence[Participant]:
        _check_window(limit, offset)
        with self._lock:
            ordered = sorted(self._participants.values(), key=lambda p: (p.registered_at_ms, p.id))
        return ordered[offset : offset + limit]


class MemoryApiKeyStore:
    """Keys in a dict; ``participants`` is consulted so a key's owner must exist, as in SQL."""

    def __init__(self, participants: MemoryParticipantStore) -> None:
        self._lock = threading.Lock()
        self._participants = participants
        self._keys: dict[str, ApiKey] = {}

    def add(self, key: ApiKey) -> None:
        if self._participants.get(key.owner_id) is None:
            raise ParticipantNotFound(key.owner_id)
        with self._lock:
            if key.id in self._keys:
                raise ValueError(f"API key id {key.id} exists already")
            self._keys[key.id] = key

    def get(self, key_id: str) -> ApiKey | None:
        with self._lock:
            return self._keys.get(key_id)

    def list_for_owner(self, owner_id: str) -> Sequence[ApiKey]:
        with self._lock:
            owned = [key for key in self._keys.values() if key.owner_id == owner_id]
        return sorted(owned, key=lambda k: (k.created_at_ms, k.id))

    def revoke(self, key_id: str, at_ms: int) -> ApiKey | None:
        with self._lock:
            key = self._keys.get(key_id)
            if key is None or key.revoked:
                return key
            self._keys[key_id] = key = dataclasses.replace(key, revoked_at_ms=at_ms)
            return key

    def touch(self, key_id: str, at_ms: int) -> None:
        with self._lock:
            key = self._keys.get(key_id)
            if key is not None and (key.last_used_at_ms is None or key.last_used_at_ms < at_ms):
                self._keys[key_id] = dataclasses.replace(key, last_used_at_ms=at_ms)


class MemoryNonceStore:
    """A dict for lookups and a heap of expiry times, so purging costs only what expired.

    Every :meth:`remember` pops the entries expired by then, so memory holds no
    more than the requests of one window.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._expiry: dict[tuple[str, str], int] = {}
        self._heap: list[tuple[int, str, str]] = []

    def remember(self, participant_id: str, nonce: str, *, expires_at_ms: int, now_ms: int) -> bool:
        key = (participant_id, nonce)
        with self._lock:
            self._purge(now_ms)
            if key in self._expiry:  # after the purge, whatever is held has not expired
                return False
            self._expiry[key] = expires_at_ms
            heapq.heappush(self._heap, (expires_at_ms, participant_id, nonce))
            return True

    def purge_expired(self, now_ms: int) -> int:
        with self._lock:
            return self._purge(now_ms)

    def count(self) -> int:
        with self._lock:
            return len(self._expiry)

    def _purge(self, now_ms: int) -> int:
        purged = 0
        while self._heap and self._heap[0][0] <= now_ms:
            _, participant_id, nonce = heapq.heappop(self._heap)
            del self._expiry[(participant_id, nonce)]
            purged += 1
        return purged
