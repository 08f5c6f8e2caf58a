"""The stream guard ends the live streams of credentials that no longer hold."""

from __future__ import annotations

from plaza.api.market.stream_guard import StreamGuard
from plaza.crypto import Identity
from plaza.market.auth import (
    ApiKeyService,
    MemoryApiKeyStore,
    MemoryParticipantStore,
    ParticipantRegistry,
    Pepper,
    Principal,
    Role,
    Scope,
    sign_registration,
)
from plaza.testing.clock import FakeClock

AUDIENCE = "plaza-test"


class _Stream:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def _world() -> tuple[FakeClock, ParticipantRegistry, ApiKeyService, list[Principal]]:
    clock = FakeClock()
    participants = MemoryParticipantStore()
    registry = ParticipantRegistry(participants, clock, audience=AUDIENCE)
    keys = ApiKeyService(MemoryApiKeyStore(participants), participants, Pepper(b"\x01" * 32), clock)
    callers = []
    for name in ("alice", "bob"):
        identity = Identity.generate()
        signed = sign_registration(
            identity.signing,
            identity.encryption.public_key,
            display_name=name,
            roles=[Role.PROVIDER],
            audience=AUDIENCE,
            clock=clock,
        )
        callers.append(Principal.of_participant(registry.register(signed)))
    return clock, registry, keys, callers


def test_a_sweep_ends_only_the_streams_whose_credential_ended() -> None:
    clock, registry, keys, (alice, bob) = _world()
    owner = str(alice.participant_id)
    revoked = keys.create(alice, owner_id=owner, name="r", scopes=[Scope.MARKET_READ])
    expiring = keys.create(
        alice,
        owner_id=owner,
        name="e",
        scopes=[Scope.MARKET_READ],
        expires_at_ms=clock.now_ms() + 1_000,
    )
    guard = StreamGuard()
    streams = {name: _Stream() for name in ("revoked", "expiring", "alice", "bob", "bob2")}
    guard.watch(keys.authenticate(revoked.secret), streams["revoked"])
    guard.watch(keys.authenticate(expiring.secret), streams["expiring"])
    guard.watch(alice, streams["alice"])
    guard.watch(bob, streams["bob"])
    guard.watch(bob, streams["bob2"])
    assert guard.sweep(keys, registry) == 0

    keys.revoke(alice, revoked.key.id)
    assert guard.sweep(keys, registry) == 1
    clock.advance(ms=1_000)
    assert guard.sweep(keys, registry) == 1
    registry.exclude(Principal.system(), str(bob.participant_id))
    assert guard.sweep(keys, registry) == 2
    assert {name: s.closed for name, s in streams.items()} == {
        "revoked": 1,
        "expiring": 1,
        "alice": 0,
        "bob": 1,
        "bob2": 1,
    }
    assert len(guard) == 1


def test_a_forgotten_stream_is_not_swept() -> None:
    _, registry, keys, (alice, _) = _world()
    guard, stream = StreamGuard(), _Stream()
    guard.watch(alice, stream)
    guard.forget(stream)
    registry.exclude(Principal.system(), str(alice.participant_id))
    assert guard.sweep(keys, registry) == 0
    assert stream.closed == 0
