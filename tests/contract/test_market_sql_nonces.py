"""The NonceStore contract (memory, SQLite, PostgreSQL, and the energy modules' letter file,
the SQL store on ``nonces.sqlite3``), and signed requests over each."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from market_sql_backends import ALL_BACKENDS, AuthStores, auth_stores

from plaza.bootstrap.energy_modules import open_nonces
from plaza.crypto import EncryptionKey, SigningKey
from plaza.market.auth import (
    NonceStore,
    ParticipantRegistry,
    ReplayedRequest,
    RequestVerifier,
    Role,
    sign_registration,
    sign_request,
)
from plaza.testing import FakeClock

P1, P2 = "plz1participant1", "plz1participant2"


@pytest.fixture(params=ALL_BACKENDS)
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AuthStores]:
    with auth_stores(request.param, request, tmp_path) as chosen:
        yield chosen


@pytest.fixture(params=[*ALL_BACKENDS, "letter-file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NonceStore]:
    """Each of the market's stores, and the stdlib file an energy module keeps its letters' in."""
    if request.param == "letter-file":
        yield open_nonces(tmp_path)
        return
    with auth_stores(request.param, request, tmp_path) as chosen:
        yield chosen.nonces


def test_a_nonce_is_new_once_per_participant(store: NonceStore) -> None:
    assert store.remember(P1, "aa" * 16, expires_at_ms=200, now_ms=100)
    assert not store.remember(P1, "aa" * 16, expires_at_ms=300, now_ms=150)
    assert store.remember(P2, "aa" * 16, expires_at_ms=200, now_ms=150)
    assert store.remember(P1, "bb" * 64, expires_at_ms=200, now_ms=150)
    assert store.count() == 3


def test_an_expired_nonce_counts_as_absent(store: NonceStore) -> None:
    assert store.remember(P1, "aa" * 16, expires_at_ms=200, now_ms=100)
    assert not store.remember(P1, "aa" * 16, expires_at_ms=400, now_ms=199)
    assert store.remember(P1, "aa" * 16, expires_at_ms=400, now_ms=200)
    assert not store.remember(P1, "aa" * 16, expires_at_ms=500, now_ms=399)


def test_purge_deletes_exactly_the_expired(store: NonceStore) -> None:
    for n in range(10):
        assert store.remember(P1, f"{n:032x}", expires_at_ms=100 + n, now_ms=0)
    assert store.purge_expired(105) == 6
    assert store.count() == 4
    assert store.purge_expired(105) == 0
    assert not store.remember(P1, f"{9:032x}", expires_at_ms=999, now_ms=105)


def test_remembering_keeps_the_store_bounded(store: NonceStore) -> None:
    now = 0
    for n in range(200):
        now = n * 10
        store.remember(P1, f"{n:032x}", expires_at_ms=now + 100, now_ms=now)
    assert store.count() <= 200
    store.remember(P2, "ff" * 16, expires_at_ms=now + 5000, now_ms=now + 2000)
    assert store.count() == 1


def test_one_of_many_concurrent_callers_wins(store: NonceStore) -> None:
    threads, barrier = 8, threading.Barrier(8)
    results: list[bool] = []
    lock = threading.Lock()

    def attempt() -> None:
        barrier.wait()
        won = store.remember(P1, "cc" * 16, expires_at_ms=10_000, now_ms=1)
        with lock:
            results.append(won)

    workers = [threading.Thread(target=attempt) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert sorted(results) == [False] * (threads - 1) + [True]


def test_signed_requests_over_each_backend(stores: AuthStores) -> None:
    clock, key = FakeClock(), SigningKey(b"\x01" * 32)
    registry = ParticipantRegistry(stores.participants, clock, audience="m")
    registry.register(
        sign_registration(
            key,
            EncryptionKey(b"\x02" * 32).public_key,
            display_name="meter",
            roles=[Role.CONSUMER],
            audience="m",
            clock=clock,
        )
    )
    verifier = RequestVerifier(stores.participants, stores.nonces, clock, audience="m")
    headers = sign_request(
        key, audience="m", method="GET", path="/orders", query="page=2", clock=clock
    )

    def verify() -> str:
        return verifier.verify_request(
            method="GET", path="/orders", query="page=2", headers=headers, body=b""
        ).id

    assert verify() == str(key.public_key.address)
    with pytest.raises(ReplayedRequest):
        verify()
