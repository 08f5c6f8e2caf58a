"""What accounts need from storage: an account store and a session store.

Adapters: :mod:`plaza.market.accounts.memory` and :mod:`plaza.market.sql.account_store`
(SQLite and PostgreSQL, in the market's database); one contract suite
(``tests/contract/test_market_sql_accounts.py``) runs against all of them.
"""

from __future__ import annotations

from typing import Protocol

from plaza.market.accounts.model import Account, Session

__all__ = ["AccountStore", "SessionStore"]


class AccountStore(Protocol):
    """Accounts by user id and by email, the OpenID Connect identities linked to them,
    and the recent wrong passwords of each (what the lockout counts)."""

    def add(self, account: Account) -> bool:
        """Store a new account; ``False`` (nothing stored) if its email is taken.

        A duplicate user id raises ``ValueError`` (ids are random; a clash is a bug).
        """
        ...

    def get(self, user_id: str) -> Account | None: ...

    def by_email(self, email: str) -> Account | None:
        """The account with this (normalised) email, or ``None``."""
        ...

    def update(self, account: Account) -> None:
        """Replace the password hash and lock of the stored account with the same user id.

        Raises :class:`~plaza.market.accounts.errors.AccountNotFound` if none is stored.
        """
        ...

    def link_identity(self, issuer: str, subject: str, user_id: str) -> None:
        """Link an OpenID Connect identity (issuer and subject) to an account; linking it
        again to the same account changes nothing. Raises
        :class:`~plaza.market.accounts.errors.IdentityTaken` if it is another account's and
        :class:`~plaza.market.accounts.errors.AccountNotFound` if the account is not stored."""
        ...

    def by_identity(self, issuer: str, subject: str) -> Account | None: ...

    def record_failure(self, user_id: str, at_ms: int, *, since_ms: int) -> int:
        """Remember a wrong password at ``at_ms`` and forget those before ``since_ms`` (they
        no longer count, so an account keeps at most one window of them); return how many
        are remembered now, from ``since_ms`` on, in one transaction."""
        ...

    def failures_since(self, user_id: str, since_ms: int) -> int:
        """How many wrong passwords were remembered at or after ``since_ms``."""
        ...

    def clear_failures(self, user_id: str) -> None:
        """Forget every wrong password of the account (after a login, or when it locks)."""
        ...


class SessionStore(Protocol):
    """Server-side sessions, by the hash of their token."""

    def add(self, session: Session) -> None:
        """Store a new session; a duplicate hash raises ``ValueError``."""
        ...

    def get(self, id_hash: bytes) -> Session | None:
        """The session, expired or not, or ``None``."""
        ...

    def delete(self, id_hash: bytes) -> bool:
        """End a session; ``False`` if there was none."""
        ...

    def purge_expired(self, now_ms: int) -> int:
        """Delete every session expired at ``now_ms``; how many were deleted."""
        ...
