"""What authentication needs from the outside world: three stores and a clock.

Adapters: :mod:`plaza.market.auth.memory` (in-memory, for tests and the
embedded demo) and :mod:`plaza.market.sql.auth_stores` (SQLite and PostgreSQL).
One contract suite per port (``tests/contract/test_market_sql_*.py``) runs against
all of them. Adapters raise only this package's errors for the cases named below,
and :class:`~plaza.market.sql.errors.MarketStorageError` (a
:class:`~plaza.market.errors.StoreFailed`) when the database fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from plaza.ledger.ports import Clock
from plaza.market.auth.model import ApiKey, Participant

__all__ = ["ApiKeyStore", "Clock", "NonceStore", "ParticipantStore"]


class ParticipantStore(Protocol):
    """Registered participants, by id."""

    def add(self, participant: Participant) -> None:
        """Store a new participant; raise :class:`ParticipantExists` if its id is taken."""
        ...

    def get(self, participant_id: str) -> Participant | None:
        """The participant with this id, or ``None``."""
        ...

    def update(self, participant: Participant) -> None:
        """Replace the stored participant of the same id (keys, name, roles, exclusion).

        Raises :class:`ParticipantNotFound` if no such participant is stored.
        """
        ...

    def list(self, *, limit: int = 100, offset: int = 0) -> Sequence[Participant]:
        """A page of participants, oldest registration first (ties by id)."""
        ...


class ApiKeyStore(Protocol):
    """API keys, by id. Keys are never deleted, only revoked, so audits can name them."""

    def add(self, key: ApiKey) -> None:
        """Store a new key; raise :class:`ParticipantNotFound` if its owner is not stored.

        A duplicate id raises ``ValueError`` (ids are random 64-bit values; a clash is a bug).
        """
        ...

    def get(self, key_id: str) -> ApiKey | None:
        """The key with this id, revoked or not, or ``None``."""
        ...

    def list_for_owner(self, owner_id: str) -> Sequence[ApiKey]:
        """Every key of one owner, oldest first, revoked ones included."""
        ...

    def revoke(self, key_id: str, at_ms: int) -> ApiKey | None:
        """Mark the key revoked at ``at_ms`` unless it is already; return it as stored now.

        Returns ``None`` if no such key exists. Revoking twice keeps the first time.
        """
        ...

    def touch(self, key_id: str, at_ms: int) -> None:
        """Record that the key was used at ``at_ms`` (later times only; unknown ids ignored)."""
        ...


class NonceStore(Protocol):
    """Nonces of signed requests, remembered while a replay could still be fresh.

    A request is fresh for ``window`` either side of its timestamp, so its nonce
    must be kept while ``now <= timestamp + window`` and not a moment longer: memory
    is bounded by the requests of one window. An entry is *expired* at ``now_ms``
    when ``expires_at_ms <= now_ms``.
    """

    def remember(self, participant_id: str, nonce: str, *, expires_at_ms: int, now_ms: int) -> bool:
        """Record the nonce atomically; ``False`` if it is already held and not yet expired.

        Exactly one of any number of concurrent calls with the same
        ``(participant_id, nonce)`` returns ``True``. Entries expired at ``now_ms``
        count as absent, and calls also purge expired entries from time to time.
        """
        ...

    def purge_expired(self, now_ms: int) -> int:
        """Delete every entry expired at ``now_ms``; return how many were deleted."""
        ...

    def count(self) -> int:
        """How many entries are held, expired ones not yet purged included (statistics)."""
        ...
