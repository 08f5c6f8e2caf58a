"""The ApiKeyStore contract: one suite, run against memory, SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from market_sql_backends import ALL_BACKENDS, auth_stores
from test_market_sql_participants import participant

from plaza.market.auth import ApiKey, ApiKeyStore, ParticipantNotFound, Scope

ALICE, BOB = participant(1), participant(2)


@pytest.fixture(params=ALL_BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ApiKeyStore]:
    with auth_stores(request.param, request, tmp_path) as stores:
        stores.participants.add(ALICE)
        stores.participants.add(BOB)
        yield stores.api_keys


def key(n: int, owner: str = ALICE.id, *, at_ms: int = 1_000) -> ApiKey:
    return ApiKey(
        id=f"{n:016x}",
        owner_id=owner,
        name=f"Schlüssel {n}",
        scopes=frozenset({Scope.MARKET_READ, Scope.AUDIT_READ}),
        created_at_ms=at_ms,
        key_hash=bytes([n]) * 32,
    )


def test_add_then_get(store: ApiKeyStore) -> None:
    stored = dataclasses.replace(key(1), last_used_at_ms=7, scopes=frozenset(Scope))
    store.add(stored)
    assert store.get(stored.id) == stored
    assert store.get(key(2).id) is None


def test_an_expiry_is_kept(store: ApiKeyStore) -> None:
    expiring = dataclasses.replace(key(1), expires_at_ms=2**53)
    store.add(expiring)
    store.add(key(2))
    assert store.get(expiring.id) == expiring
    assert [k.expires_at_ms for k in store.list_for_owner(ALICE.id)] == [2**53, None]
    assert store.revoke(expiring.id, 50) == dataclasses.replace(expiring, revoked_at_ms=50)


def test_a_key_needs_an_owner(store: ApiKeyStore) -> None:
    with pytest.raises(ParticipantNotFound):
        store.add(key(1, owner=participant(9).id))
    assert store.get(key(1).id) is None


def test_a_key_id_is_added_once(store: ApiKeyStore) -> None:
    store.add(key(1))
    with pytest.raises(ValueError, match="exists"):
        store.add(dataclasses.replace(key(1), owner_id=BOB.id))
    assert store.get(key(1).id) == key(1)


def test_listing_by_owner_oldest_first(store: ApiKeyStore) -> None:
    for n, at_ms in ((3, 5), (1, 9), (2, 5)):
        store.add(key(n, at_ms=at_ms))
    store.add(key(4, owner=BOB.id))
    assert [k.id for k in store.list_for_owner(ALICE.id)] == [key(2).id, key(3).id, key(1).id]
    assert store.list_for_owner(participant(9).id) == []


def test_revoking_keeps_the_first_time(store: ApiKeyStore) -> None:
    store.add(key(1))
    assert store.revoke(key(1).id, 50) == dataclasses.replace(key(1), revoked_at_ms=50)
    assert store.revoke(key(1).id, 60) == dataclasses.replace(key(1), revoked_at_ms=50)
    assert store.get(key(1).id) == dataclasses.replace(key(1), revoked_at_ms=50)
    assert store.revoke(key(2).id, 50) is None


def test_touch_only_moves_forward(store: ApiKeyStore) -> None:
    store.add(key(1))
    store.touch(key(1).id, 100)
    store.touch(key(1).id, 90)
    assert store.get(key(1).id) == dataclasses.replace(key(1), last_used_at_ms=100)
    store.touch(key(1).id, 200)
    store.touch(key(2).id, 200)  # unknown: ignored
    assert store.get(key(1).id) == dataclasses.replace(key(1), last_used_at_ms=200)
