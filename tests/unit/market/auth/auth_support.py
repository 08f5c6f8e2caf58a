"""Keys, participants and a wired set of auth services for the market auth tests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from plaza.crypto import EncryptionKey, SigningKey
from plaza.market.auth import (
    ApiKeyService,
    MemoryApiKeyStore,
    MemoryNonceStore,
    MemoryParticipantStore,
    Participant,
    ParticipantRegistry,
    Pepper,
    Principal,
    RequestVerifier,
    Role,
    sign_registration,
)
from plaza.testing import FakeClock

AUDIENCE = "plaza-test-market"
WINDOW_MS = 300_000


def signing_key(n: int) -> SigningKey:
    return SigningKey(bytes([n]) * 32)


def encryption_key(n: int) -> EncryptionKey:
    return EncryptionKey(bytes([n + 100]) * 32)


@dataclass
class Market:
    """One marketplace's auth services over in-memory stores, on a fake clock."""

    clock: FakeClock = field(default_factory=FakeClock)
    participants: MemoryParticipantStore = field(default_factory=MemoryParticipantStore)
    nonces: MemoryNonceStore = field(default_factory=MemoryNonceStore)
    pepper: Pepper = field(default_factory=lambda: Pepper(b"\x07" * 32))

    def __post_init__(self) -> None:
        self.keys = MemoryApiKeyStore(self.participants)
        self.registry = ParticipantRegistry(
            self.participants, self.clock, audience=AUDIENCE, window_ms=WINDOW_MS
        )
        self.verifier = RequestVerifier(
            self.participants, self.nonces, self.clock, audience=AUDIENCE, window_ms=WINDOW_MS
        )
        self.api_keys = ApiKeyService(self.keys, self.participants, self.pepper, self.clock)

    def join(self, n: int, *roles: Role, name: str | None = None) -> Participant:
        """Register participant ``n`` (privileged roles sponsored by the system)."""
        wanted: Iterable[Role] = roles or (Role.PROVIDER,)
        signed = sign_registration(
            signing_key(n),
            encryption_key(n).public_key,
            display_name=name or f"participant {n}",
            roles=wanted,
            audience=AUDIENCE,
            clock=self.clock,
        )
        return self.registry.register(signed, sponsor=Principal.system())

    def operator(self, n: int = 90) -> Principal:
        return Principal.of_participant(self.join(n, Role.OPERATOR))
