"""In-memory adapters of the account ports: the reference behaviour, for tests and demos."""

from __future__ import annotations

import dataclasses
import threading

from plaza.market.accounts.errors import AccountNotFound, IdentityTaken
from plaza.market.accounts.model import Account, Session

__all__ = ["MemoryAccountStore", "MemorySessionStore"]


class MemoryAccountStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._accounts: dict[str, Account] = {}
        self._emails: dict[str, str] = {}
        self._identities: dict[tuple[str, str], str] = {}
        self._failures: dict[str, list[int]] = {}

    def add(self, account: Account) -> bool:
        with self._lock:
            if account.user_id in self._accounts:
                raise ValueError(f"user id {account.user_id} exists already")
            if account.email in self._emails:
                return False
            self._accounts[account.user_id] = account
            self._emails[account.email] = account.user_id
            return True

    def get(self, user_id: str) -> Account | None:
        with self._lock:
            return self._accounts.get(user_id)

    def by_email(self, email: str) -> Account | None:
        with self._lock:
            user_id = self._emails.get(email)
            return None if user_id is None else self._accounts[user_id]

    def update(self, account: Account) -> None:
        with self._lock:
            stored = self._accounts.get(account.user_id)
            if stored is None:
                raise AccountNotFound(account.user_id)
            self._accounts[account.user_id] = dataclasses.replace(
                stored, password_hash=account.password_hash, locked_until_ms=account.locked_until_ms
            )

    def link_identity(self, issuer: str, subject: str, user_id: str) -> None:
        with self._lock:
            if user_id not in self._accounts:
                raise AccountNotFound(user_id)
            linked = self._identities.setdefault((issuer, subject), user_id)
            if linked != user_id:
                raise IdentityTaken(issuer, subject)

    def by_identity(self, issuer: str, subject: str) -> Account | None:
        with self._lock:
            user_id = self._identities.get((issuer, subject))
            return None if user_id is None else self._accounts[user_id]

    def record_failure(self, user_id: str, at_ms: int, *, since_ms: int) -> int:
        with self._lock:
            kept = [t for t in self._failures.get(user_id, ()) if t >= since_ms]
            kept += [at_ms] if at_ms >= since_ms else []
            self._failures[user_id] = kept
            return len(kept)

    def failures_since(self, user_id: str, since_ms: int) -> int:
        with self._lock:
            return sum(at_ms >= since_ms for at_ms in self._failures.get(user_id, ()))

    def clear_failures(self, user_id: str) -> None:
        with self._lock:
            self._failures.pop(user_id, None)


class MemorySessionStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[bytes, Session] = {}

    def add(self, session: Session) -> None:
        with self._lock:
            if session.id_hash in self._sessions:
                raise ValueError("a session with this hash exists already")
            self._sessions[session.id_hash] = session

    def get(self, id_hash: bytes) -> Session | None:
        with self._lock:
            return self._sessions.get(id_hash)

    def delete(self, id_hash: bytes) -> bool:
        with self._lock:
            return self._sessions.pop(id_hash, None) is not None

    def purge_expired(self, now_ms: int) -> int:
        with self._lock:
            expired = [h for h, s in self._sessions.items() if s.expired(now_ms)]
            for id_hash in expired:
                del self._sessions[id_hash]
            return len(expired)
