"""The ParticipantStore contract: one suite, run against memory, SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from market_sql_backends import ALL_BACKENDS, AuthStores, auth_stores

from plaza.crypto import EncryptionKey, SigningKey
from plaza.market.auth import (
    Participant,
    ParticipantExists,
    ParticipantNotFound,
    ParticipantStore,
    Role,
    participant_id_for,
)


@pytest.fixture(params=ALL_BACKENDS)
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AuthStores]:
    with auth_stores(request.param, request, tmp_path) as chosen:
        yield chosen


@pytest.fixture
def store(stores: AuthStores) -> ParticipantStore:
    return stores.participants


def participant(n: int, *roles: Role, at_ms: int = 1_000, name: str = "") -> Participant:
    key = SigningKey(bytes([n]) * 32).public_key
    return Participant(
        id=participant_id_for(key),
        signing_key=key,
        encryption_key=EncryptionKey(bytes([n + 100]) * 32).public_key,
        display_name=name or f"Ladesäule {n}",
        roles=frozenset(roles or {Role.PROVIDER}),
        registered_at_ms=at_ms,
    )


def test_add_then_get(store: ParticipantStore) -> None:
    alice = participant(1, Role.PROVIDER, Role.CONSUMER, at_ms=2**62)
    store.add(alice)
    assert store.get(alice.id) == alice
    assert store.get(participant(2).id) is None


def test_an_id_is_added_once(store: ParticipantStore) -> None:
    store.add(participant(1))
    with pytest.raises(ParticipantExists) as refused:
        store.add(participant(1, Role.CONSUMER, name="someone else"))
    assert refused.value.participant_id == participant(1).id
    assert store.get(participant(1).id) == participant(1)


def test_update_replaces_everything_but_the_id(store: ParticipantStore) -> None:
    alice = participant(1, Role.PROVIDER, Role.CONSUMER)
    store.add(alice)
    changed = dataclasses.replace(
        alice,
        encryption_key=EncryptionKey(b"\x55" * 32).public_key,
        display_name="renamed",
        roles=frozenset({Role.OPERATOR}),
        excluded=True,
    )
    store.update(changed)
    assert store.get(alice.id) == changed
    store.update(alice)
    assert store.get(alice.id) == alice


def test_updating_an_unknown_participant_fails(store: ParticipantStore) -> None:
    with pytest.raises(ParticipantNotFound):
        store.update(participant(1))
    assert store.get(participant(1).id) is None


def test_list_pages_oldest_first_ties_by_id(store: ParticipantStore) -> None:
    people = [participant(n, at_ms=1000 + n // 3) for n in range(1, 10)]
    for p in reversed(people):
        store.add(p)
    expected = sorted(people, key=lambda p: (p.registered_at_ms, p.id))
    assert list(store.list()) == expected
    assert list(store.list(limit=4, offset=2)) == expected[2:6]
    assert list(store.list(limit=5, offset=9)) == []
    for limit, offset in ((0, 0), (1, -1)):
        with pytest.raises(ValueError, match="limit"):
            store.list(limit=limit, offset=offset)


def test_roles_of_each_participant_stay_their_own(store: ParticipantStore) -> None:
    store.add(participant(1, Role.PROVIDER, Role.CONSUMER))
    store.add(participant(2, Role.AUDITOR))
    store.add(participant(3, Role.OPERATOR))
    assert {p.id: p.roles for p in store.list()} == {
        participant(1).id: {Role.PROVIDER, Role.CONSUMER},
        participant(2).id: {Role.AUDITOR},
        participant(3).id: {Role.OPERATOR},
    }
