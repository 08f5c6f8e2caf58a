"""A person's wallet backup, kept with their account, which this server cannot open.

The browser locks the wallet's seed under the person's passphrase (Argon2id, then
XSalsa20-Poly1305: ``static/wallet/protocol.js``) and may hand the locked box to the
account, so a new browser can get it back and unlock it with the same passphrase. The
server keeps the box as given and checks only its shape: the fields a locked seed has,
each of its size, so nothing else (a seed in the clear, say) is taken for one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from threading import Lock
from typing import Any, Protocol

from plaza.clock import Clock
from plaza.market.accounts.errors import InvalidInput
from plaza.market.accounts.model import Account

__all__ = [
    "MemoryWalletBackupStore",
    "WalletBackup",
    "WalletBackupStore",
    "WalletBackups",
    "check_backup",
]

#: libsodium's sizes: a 16-byte salt, a 24-byte nonce, a 32-byte seed plus its 16-byte tag.
_HEX = {"salt": 16, "nonce": 24, "box": 48}
#: Argon2id's bounds the browser may choose between (libsodium's limits, loosely).
_LIMITS = {"opslimit": (1, 2**32 - 1), "memlimit": (8192, 2**32 - 1)}
_FIELDS = {"version", "kdf", *_HEX, *_LIMITS}


@dataclass(frozen=True, slots=True)
class WalletBackup:
    user_id: str
    locked: str  # the locked seed's JSON, canonical
    saved_at_ms: int


def _refuse(why: str) -> InvalidInput:
    return InvalidInput({"backup": why})


def _problem(locked: Mapping[str, Any]) -> str | None:
    if set(locked) != _FIELDS:
        return f"a locked seed has exactly the fields {', '.join(sorted(_FIELDS))}"
    if locked["version"] != 1 or locked["kdf"] != "argon2id13":
        return "only version 1 locked with argon2id13 is known"
    for name, size in _HEX.items():
        value = locked[name]
        if not isinstance(value, str) or not re.fullmatch(f"[0-9a-f]{{{2 * size}}}", value):
            return f"{name} is {size} bytes in lower-case hex"
    for name, (low, high) in _LIMITS.items():
        value = locked[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"{name} is a whole number from {low} to {high}"
    return None


def check_backup(locked: Mapping[str, Any]) -> str:
    """The locked seed as canonical JSON, or :class:`InvalidInput` saying what is wrong."""
    if (why := _problem(locked)) is not None:
        raise _refuse(why)
    return json.dumps(dict(locked), sort_keys=True, separators=(",", ":"))


class WalletBackupStore(Protocol):
    def get(self, user_id: str) -> WalletBackup | None: ...

    def put(self, backup: WalletBackup) -> None:
        """Keep ``backup`` as the account's one backup (replacing an earlier one)."""
        ...


class MemoryWalletBackupStore:
    def __init__(self) -> None:
        self._backups: dict[str, WalletBackup] = {}
        self._lock = Lock()

    def get(self, user_id: str) -> WalletBackup | None:
        with self._lock:
            return self._backups.get(user_id)

    def put(self, backup: WalletBackup) -> None:
        with self._lock:
            self._backups[backup.user_id] = backup


class WalletBackups:
    """An account's backup: kept as given (once its shape is checked), given back to it."""

    def __init__(self, store: WalletBackupStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def keep(self, account: Account, locked: Any) -> WalletBackup:
        if not isinstance(locked, Mapping):
            raise _refuse("send the locked seed: a JSON object")
        backup = WalletBackup(account.user_id, check_backup(locked), self._clock.now_ms())
        self._store.put(backup)
        return backup

    def get(self, account: Account) -> WalletBackup | None:
        return self._store.get(account.user_id)
