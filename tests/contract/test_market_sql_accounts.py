"""The AccountStore and SessionStore contracts: one suite, run against memory, SQLite and
PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from market_sql_backends import ALL_BACKENDS, auth_stores
from test_market_sql_participants import participant

from plaza.market.accounts import (
    Account,
    AccountNotFound,
    AccountStore,
    IdentityTaken,
    MemoryAccountStore,
    MemorySessionStore,
    MemoryWalletBackupStore,
    Session,
    SessionStore,
    WalletBackup,
    WalletBackupStore,
)
from plaza.market.sql import SqlAccountStore, SqlSessionStore, SqlWalletBackupStore

ALICE, BOB = participant(1), participant(2)


@dataclass(frozen=True)
class Stores:
    accounts: AccountStore
    sessions: SessionStore
    backups: WalletBackupStore


@pytest.fixture(params=ALL_BACKENDS)
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    with auth_stores(request.param, request, tmp_path) as auth:
        auth.participants.add(ALICE)
        auth.participants.add(BOB)
        if auth.engine is None:
            yield Stores(MemoryAccountStore(), MemorySessionStore(), MemoryWalletBackupStore())
        else:
            engine = auth.engine
            sql = (SqlAccountStore(engine), SqlSessionStore(engine), SqlWalletBackupStore(engine))
            yield Stores(*sql)


def account(n: int, email: str = "", *, password_hash: str | None = "$argon2id$x") -> Account:
    return Account(
        user_id=f"usr_{n:016x}",
        email=email or f"person{n}@example.org",
        participant_id=(ALICE if n % 2 else BOB).id,
        created_at_ms=1_000 + n,
        password_hash=password_hash,
    )


def session(n: int, user: Account, *, expires_at_ms: int = 5_000) -> Session:
    return Session(bytes([n]) * 32, user.user_id, created_at_ms=100, expires_at_ms=expires_at_ms)


def test_add_then_find_by_id_and_email(stores: Stores) -> None:
    store = stores.accounts
    assert store.add(account(1))
    assert store.add(account(2, password_hash=None))
    assert store.get(account(1).user_id) == account(1)
    assert store.by_email("person2@example.org") == account(2, password_hash=None)
    assert store.get(account(3).user_id) is None
    assert store.by_email("nobody@example.org") is None


def test_an_email_is_taken_once(stores: Stores) -> None:
    store = stores.accounts
    assert store.add(account(1))
    assert not store.add(account(2, "person1@example.org"))
    assert store.get(account(2).user_id) is None
    with pytest.raises(ValueError, match="exists"):
        store.add(account(1, "other@example.org"))


def test_update_changes_password_and_lock_only(stores: Stores) -> None:
    store = stores.accounts
    store.add(account(1))
    changed = dataclasses.replace(account(1), password_hash="$new", locked_until_ms=9)
    store.update(dataclasses.replace(changed, created_at_ms=5))
    assert store.get(account(1).user_id) == changed
    with pytest.raises(AccountNotFound):
        store.update(account(2))


def test_identities_link_once(stores: Stores) -> None:
    store = stores.accounts
    store.add(account(1))
    store.add(account(2))
    store.link_identity("https://id.example", "sub-1", account(1).user_id)
    store.link_identity("https://id.example", "sub-1", account(1).user_id)  # again: no change
    assert store.by_identity("https://id.example", "sub-1") == account(1)
    assert store.by_identity("https://other.example", "sub-1") is None
    with pytest.raises(IdentityTaken):
        store.link_identity("https://id.example", "sub-1", account(2).user_id)
    with pytest.raises(AccountNotFound):
        store.link_identity("https://id.example", "sub-2", account(3).user_id)


def test_failures_are_counted_per_account_and_cleared(stores: Stores) -> None:
    store = stores.accounts
    store.add(account(1))
    store.add(account(2))
    mine = account(1).user_id
    assert [store.record_failure(mine, at, since_ms=0) for at in (10, 20, 30)] == [1, 2, 3]
    store.record_failure(account(2).user_id, 20, since_ms=0)
    assert store.failures_since(mine, 20) == 2
    assert store.failures_since(mine, 31) == 0
    store.clear_failures(mine)
    assert store.failures_since(mine, 0) == 0
    assert store.failures_since(account(2).user_id, 0) == 1


def test_failures_before_the_window_are_forgotten(stores: Stores) -> None:
    store = stores.accounts
    store.add(account(1))
    mine = account(1).user_id
    for at in (10, 20, 30):
        store.record_failure(mine, at, since_ms=0)
    assert store.record_failure(mine, 40, since_ms=25) == 2  # 30 and 40
    assert store.failures_since(mine, 0) == 2  # 10 and 20 are gone for good


def test_sessions_add_get_delete(stores: Stores) -> None:
    stores.accounts.add(account(1))
    sessions = stores.sessions
    sessions.add(session(1, account(1)))
    assert sessions.get(bytes([1]) * 32) == session(1, account(1))
    assert sessions.get(bytes([2]) * 32) is None
    with pytest.raises(ValueError, match="exists"):
        sessions.add(session(1, account(1)))
    assert sessions.delete(bytes([1]) * 32)
    assert not sessions.delete(bytes([1]) * 32)
    assert sessions.get(bytes([1]) * 32) is None


def test_expired_sessions_are_purged(stores: Stores) -> None:
    stores.accounts.add(account(1))
    sessions = stores.sessions
    for n, expires in ((1, 100), (2, 200), (3, 300)):
        sessions.add(session(n, account(1), expires_at_ms=expires))
    assert sessions.purge_expired(200) == 2
    assert [sessions.get(bytes([n]) * 32) is not None for n in (1, 2, 3)] == [False, False, True]


def test_an_account_keeps_one_wallet_backup_the_latest(stores: Stores) -> None:
    alice, bob = account(1), account(2)
    stores.accounts.add(alice)
    stores.accounts.add(bob)
    assert stores.backups.get(alice.user_id) is None
    first = WalletBackup(alice.user_id, '{"box":"01"}', 10)
    stores.backups.put(first)
    assert stores.backups.get(alice.user_id) == first
    later = WalletBackup(alice.user_id, '{"box":"02"}', 20)
    stores.backups.put(later)
    assert stores.backups.get(alice.user_id) == later
    assert stores.backups.get(bob.user_id) is None
