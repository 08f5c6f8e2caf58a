"""A wallet backup is kept only if it has the shape of a locked seed: the server cannot open
it, so it refuses anything else (a seed in the clear, a stray field) with what is wrong."""

from __future__ import annotations

from typing import Any

import pytest

from plaza.market.accounts import (
    Account,
    InvalidInput,
    MemoryWalletBackupStore,
    WalletBackups,
    check_backup,
)
from plaza.testing import FakeClock

LOCKED: dict[str, Any] = {
    "version": 1,
    "kdf": "argon2id13",
    "opslimit": 2,
    "memlimit": 67_108_864,
    "salt": "ab" * 16,
    "nonce": "cd" * 24,
    "box": "ef" * 48,
}
ALICE = Account("usr_0000000000000001", "alice@example.org", "plz1x", 1, None)


def test_a_locked_seed_is_kept_as_canonical_json() -> None:
    kept = check_backup(dict(reversed(list(LOCKED.items()))))
    assert kept.startswith('{"box":"')
    assert kept == check_backup(LOCKED)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"seed": "00" * 32}, "a locked seed has exactly the fields"),
        ({"version": 2}, "only version 1 locked with argon2id13"),
        ({"kdf": "scrypt"}, "only version 1 locked with argon2id13"),
        ({"salt": "AB" * 16}, "salt is 16 bytes in lower-case hex"),
        ({"nonce": "cd" * 23}, "nonce is 24 bytes in lower-case hex"),
        ({"box": "ef" * 32}, "box is 48 bytes in lower-case hex"),
        ({"opslimit": 0}, "opslimit is a whole number from 1"),
        ({"memlimit": True}, "memlimit is a whole number from 8192"),
    ],
)
def test_anything_else_is_refused_saying_why(change: dict[str, Any], why: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_backup({**LOCKED, **change})
    assert refused.value.problems["backup"].startswith(why)


def test_an_account_keeps_its_latest_backup() -> None:
    clock = FakeClock(5)
    backups = WalletBackups(MemoryWalletBackupStore(), clock)
    assert backups.get(ALICE) is None
    with pytest.raises(InvalidInput):
        backups.keep(ALICE, ["not", "an", "object"])
    kept = backups.keep(ALICE, LOCKED)
    assert (kept.saved_at_ms, backups.get(ALICE)) == (5, kept)
