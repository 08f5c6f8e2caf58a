"""API keys for people's dashboards and third-party services (the telco seed's "API key").

A key's secret is ``plz_<id>_<secret>``: 8 random bytes of id and 32 of secret,
lower-case hex. It is shown once, at creation; the store keeps only
``BLAKE2b-256(secret text, key=pepper)``, compared in constant time.

Why a keyed fast hash and not scrypt/Argon2: those slow hashes protect
low-entropy *passwords* from offline guessing. A 256-bit random secret cannot be
guessed at any speed, so a slow hash would only cost every API call tens of
milliseconds of CPU (a denial-of-service lever) and buy nothing. The pepper is a
server secret kept in settings, not in the database, so a leaked database alone
cannot even confirm a leaked key. Keys are found by their id, never by hash, so
lookup time says nothing about the secret.

A key acts for its owner with the key's scopes, capped by the owner's roles at
the time of each call; revoking it, its expiry (set at creation, if any), or
excluding its owner stops it at once: every call, and every live stream it
opened (:meth:`ApiKeyService.is_active` is what the API's stream guard asks).
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from plaza.crypto import blake2b
from plaza.market.auth.errors import (
    ApiKeyNotFound,
    ExpiredApiKey,
    Forbidden,
    InvalidApiKeyExpiry,
    InvalidApiKeyName,
    MalformedApiKey,
    ParticipantExcluded,
    ParticipantNotFound,
    RevokedApiKey,
    ScopeNotAllowed,
    UnknownApiKey,
)
from plaza.market.auth.model import ApiKey, Principal, Scope
from plaza.market.auth.policy import check_can_operate, check_is_self
from plaza.market.auth.ports import ApiKeyStore, Clock, ParticipantStore

__all__ = [
    "MAX_KEY_LIFETIME_MS",
    "MAX_KEY_NAME",
    "ApiKeySecret",
    "ApiKeyService",
    "IssuedApiKey",
    "Pepper",
]

MAX_KEY_NAME: Final = 100
_ID_BYTES = 8
_SECRET_BYTES = 32
_FORMAT = re.compile(rf"plz_([0-9a-f]{{{2 * _ID_BYTES}}})_[0-9a-f]{{{2 * _SECRET_BYTES}}}")
_PERSON = b"plaza-api-key"
#: ``last_used`` is kept to the minute: one write per key per minute, not per call.
_LAST_USED_RESOLUTION_MS = 60_000
#: The furthest expiry a key may be given: ten years.
MAX_KEY_LIFETIME_MS: Final = 10 * 365 * 24 * 3600 * 1000


class Pepper:
    """The server secret that keys API key hashes; never shown in ``repr``."""

    __slots__ = ("_raw",)
    SIZE: Final = 32

    def __init__(self, raw: bytes) -> None:
        if not isinstance(raw, bytes) or not self.SIZE <= len(raw) <= 64:
            raise ValueError(f"a pepper is {self.SIZE} to 64 random bytes")
        self._raw = raw

    @classmethod
    def generate(cls) -> Pepper:
        return cls(secrets.token_bytes(cls.SIZE))

    def hash(self, secret: str) -> bytes:
        return blake2b(secret.encode(), size=32, key=self._raw, person=_PERSON)

    def __repr__(self) -> str:
        return "Pepper(<hidden>)"


class ApiKeySecret:
    """The full key text, shown to its owner once; ``repr``/``str`` show only the id."""

    __slots__ = ("_text", "key_id")

    def __init__(self, text: str) -> None:
        match = _FORMAT.fullmatch(text)
        if match is None:
            raise MalformedApiKey
        self._text = text
        self.key_id = match.group(1)

    def reveal(self) -> str:
        """The secret text. Named loudly: it is what a caller sends as its credential."""
        return self._text

    def __repr__(self) -> str:
        return f"ApiKeySecret(key_id='{self.key_id}', secret=<hidden>)"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class IssuedApiKey:
    """A new key as stored, and its secret: the only time the secret exists outside a caller."""

    key: ApiKey
    secret: ApiKeySecret


def _check_owner_or_operator(actor: Principal, owner_id: str) -> None:
    try:
        check_is_self(actor, owner_id)
    except Forbidden:
        check_can_operate(actor)


class ApiKeyService:
    """Create, list, revoke and authenticate API keys."""

    def __init__(
        self, keys: ApiKeyStore, participants: ParticipantStore, pepper: Pepper, clock: Clock
    ) -> None:
        self._keys = keys
        self._participants = participants
        self._pepper = pepper
        self._clock = clock

    def create(
        self,
        actor: Principal,
        *,
        owner_id: str,
        name: str,
        scopes: Iterable[Scope],
        expires_at_ms: int | None = None,
    ) -> IssuedApiKey:
        """A new key for ``owner_id``, by the owner's own signed request or an operator;
        with ``expires_at_ms`` it stops at that instant, without anyone revoking it."""
        _check_owner_or_operator(actor, owner_id)
        if not 1 <= len(name) <= MAX_KEY_NAME or not name.isprintable():
            raise InvalidApiKeyName(MAX_KEY_NAME)
        now_ms = self._clock.now_ms()
        if expires_at_ms is not None and not now_ms < expires_at_ms <= now_ms + MAX_KEY_LIFETIME_MS:
            raise InvalidApiKeyExpiry("is after now and at most ten years ahead")
        owner = self._participants.get(owner_id)
        if owner is None:
            raise ParticipantNotFound(owner_id)
        wanted = frozenset(scopes)
        if not wanted or not wanted <= owner.scopes:
            raise ScopeNotAllowed(wanted - owner.scopes or {"(none)"})
        key_id = secrets.token_hex(_ID_BYTES)
        secret = ApiKeySecret(f"plz_{key_id}_{secrets.token_hex(_SECRET_BYTES)}")
        key = ApiKey(
            id=key_id,
            owner_id=owner_id,
            name=name,
            scopes=wanted,
            created_at_ms=now_ms,
            key_hash=self._pepper.hash(secret.reveal()),
            expires_at_ms=expires_at_ms,
        )
        self._keys.add(key)
        return IssuedApiKey(key, secret)

    def list_keys(self, actor: Principal, owner_id: str) -> Sequence[ApiKey]:
        _check_owner_or_operator(actor, owner_id)
        return self._keys.list_for_owner(owner_id)

    def revoke(self, actor: Principal, key_id: str) -> ApiKey:
        """Revoke a key for good; revoking a revoked key returns it unchanged."""
        key = self._keys.get(key_id)
        if key is None:
            raise ApiKeyNotFound(key_id)
        _check_owner_or_operator(actor, key.owner_id)
        revoked = self._keys.revoke(key_id, self._clock.now_ms())
        if revoked is None:
            raise ApiKeyNotFound(key_id)
        return revoked

    def authenticate(self, secret: str | ApiKeySecret) -> Principal:
        """The principal a key secret stands for, or why it stands for no one."""
        parsed = secret if isinstance(secret, ApiKeySecret) else ApiKeySecret(secret)
        key = self._keys.get(parsed.key_id)
        if key is None or not hmac.compare_digest(self._pepper.hash(parsed.reveal()), key.key_hash):
            raise UnknownApiKey(parsed.key_id)
        if key.revoked_at_ms is not None:
            raise RevokedApiKey(key.id, key.revoked_at_ms)
        now_ms = self._clock.now_ms()
        if key.expires_at_ms is not None and key.expired(now_ms):
            raise ExpiredApiKey(key.id, key.expires_at_ms)
        owner = self._participants.get(key.owner_id)
        if owner is None:
            raise UnknownApiKey(key.id)
        if owner.excluded:
            raise ParticipantExcluded(owner.id)
        if key.last_used_at_ms is None or now_ms - key.last_used_at_ms >= _LAST_USED_RESOLUTION_MS:
            self._keys.touch(key.id, now_ms)
        return Principal.of_api_key(key, owner)

    def is_active(self, key_id: str) -> bool:
        """Whether the key would still authenticate now: not revoked, not expired, owner
        admitted. What decides, for a stream opened with the key, that it ends."""
        key = self._keys.get(key_id)
        if key is None or key.revoked or key.expired(self._clock.now_ms()):
            return False
        owner = self._participants.get(key.owner_id)
        return owner is not None and not owner.excluded
