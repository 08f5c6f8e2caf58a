"""Registering with a proof of possession, and the registry's other use cases."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from auth_support import AUDIENCE, WINDOW_MS, Market, encryption_key, signing_key

from plaza.market.auth import (
    Forbidden,
    InvalidParticipant,
    InvalidProofOfPossession,
    ParticipantExists,
    ParticipantNotFound,
    Principal,
    PrivilegedRoleRequested,
    Role,
    SignedRegistration,
    StaleRegistration,
    sign_registration,
)


@pytest.fixture
def market() -> Market:
    return Market()


def _registration(
    market: Market, n: int = 1, *roles: Role, audience: str = AUDIENCE, name: str = "EV charger 12"
) -> SignedRegistration:
    return sign_registration(
        signing_key(n),
        encryption_key(n).public_key,
        display_name=name,
        roles=roles or [Role.PROVIDER],
        audience=audience,
        clock=market.clock,
    )


def test_a_participant_registers_itself(market: Market) -> None:
    market.clock.advance(seconds=5)
    participant = market.registry.register(_registration(market, 1, Role.PROVIDER, Role.CONSUMER))
    assert participant.id == str(signing_key(1).public_key.address)
    assert participant.encryption_key == encryption_key(1).public_key
    assert participant.roles == {Role.PROVIDER, Role.CONSUMER}
    assert participant.registered_at_ms == market.clock.now_ms()
    assert not participant.excluded
    assert market.registry.get(participant.id) == participant


def test_registering_twice_is_refused(market: Market) -> None:
    market.registry.register(_registration(market))
    market.clock.advance(seconds=1)
    with pytest.raises(ParticipantExists):
        market.registry.register(_registration(market))


def test_a_registration_must_be_signed_by_the_key_it_registers(market: Market) -> None:
    signed = _registration(market)
    forged = SignedRegistration(signed.registration, signing_key(2).sign(b"anything"))
    renamed = SignedRegistration(
        dataclasses.replace(signed.registration, display_name="Someone else"), signed.signature
    )
    elsewhere = _registration(market, audience="other-market")
    for attempt in (forged, renamed, elsewhere):
        with pytest.raises(InvalidProofOfPossession):
            market.registry.register(attempt)


@pytest.mark.parametrize("skew_ms", [WINDOW_MS + 1, -WINDOW_MS - 1])
def test_a_stale_registration_is_refused(market: Market, skew_ms: int) -> None:
    signed = _registration(market)
    market.clock.advance(ms=skew_ms)
    with pytest.raises(StaleRegistration):
        market.registry.register(signed)


def test_auditors_and_operators_are_admitted_by_an_operator(market: Market) -> None:
    with pytest.raises(PrivilegedRoleRequested) as refused:
        market.registry.register(_registration(market, 3, Role.AUDITOR))
    assert refused.value.roles == ("auditor",)
    provider = Principal.of_participant(market.registry.register(_registration(market, 1)))
    with pytest.raises(Forbidden):
        market.registry.register(_registration(market, 3, Role.AUDITOR), sponsor=provider)
    auditor = market.registry.register(
        _registration(market, 3, Role.AUDITOR), sponsor=market.operator()
    )
    assert auditor.roles == {Role.AUDITOR}


def test_a_registration_keeps_the_participants_invariants(market: Market) -> None:
    with pytest.raises(InvalidParticipant):
        _registration(market, name="two\nlines")
    with pytest.raises(InvalidParticipant, match="auditor"):
        market.registry.register(
            _registration(market, 3, Role.AUDITOR, Role.PROVIDER), sponsor=Principal.system()
        )


def test_unknown_participants_are_not_found(market: Market) -> None:
    with pytest.raises(ParticipantNotFound):
        market.registry.get("plz1nobody")
    with pytest.raises(ParticipantNotFound):
        market.registry.exclude(Principal.system(), "plz1nobody")


def test_only_auditors_and_operators_list_participants(market: Market) -> None:
    alice = market.join(1)
    market.clock.advance(seconds=1)
    auditor = market.join(3, Role.AUDITOR)
    market.clock.advance(seconds=1)
    for reader in (Principal.of_participant(auditor), market.operator()):
        listed = market.registry.list(reader, limit=2)
        assert [p.id for p in listed] == [alice.id, auditor.id]
    assert len(market.registry.list(Principal.system(), offset=1)) == 2
    with pytest.raises(Forbidden):
        market.registry.list(Principal.of_participant(alice))


def test_only_operators_exclude_reinstate_and_set_roles(market: Market) -> None:
    alice, bob = market.join(1), Principal.of_participant(market.join(2))
    attempts: list[Callable[[], object]] = [
        lambda: market.registry.exclude(bob, alice.id),
        lambda: market.registry.reinstate(bob, alice.id),
        lambda: market.registry.set_roles(bob, alice.id, [Role.OPERATOR]),
    ]
    for attempt in attempts:
        with pytest.raises(Forbidden):
            attempt()
    operator = market.operator()
    assert market.registry.exclude(operator, alice.id).excluded
    assert market.registry.exclude(operator, alice.id).excluded  # twice is no error
    assert market.registry.get(alice.id).excluded
    assert not market.registry.reinstate(operator, alice.id).excluded
    changed = market.registry.set_roles(operator, alice.id, [Role.CONSUMER])
    assert market.registry.get(alice.id).roles == changed.roles == {Role.CONSUMER}


def test_a_participant_rotates_its_own_encryption_key(market: Market) -> None:
    alice = market.join(1)
    new_key = encryption_key(50).public_key
    for stranger in (Principal.of_participant(market.join(2)), market.operator()):
        with pytest.raises(Forbidden):
            market.registry.rotate_encryption_key(stranger, alice.id, new_key)
    rotated = market.registry.rotate_encryption_key(
        Principal.of_participant(alice), alice.id, new_key
    )
    assert rotated.encryption_key == new_key
    assert market.registry.get(alice.id).encryption_key == new_key
