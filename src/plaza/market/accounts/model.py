"""Accounts people log in to, their sessions, and the rules their sign-up fields follow.

An :class:`Account` is a person's way into the web app: an email, a password
hash (``None`` for an account only ever used through OpenID Connect), and the
market participant it acts as (``participant_id``), whose API keys it manages.
Its ``user_id`` (``usr_`` and 16 hex digits) is what the account page shows and
what every other record refers to; the email can be the same text in any case.

A :class:`Session` is kept server-side; the browser holds only a random token,
and the store keeps only its keyed hash (``id_hash``), so a leaked table opens
no session.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "MAX_EMAIL",
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "Account",
    "Session",
    "email_problem",
    "new_user_id",
    "normalise_email",
    "password_problem",
]

MIN_PASSWORD: Final = 10
MAX_PASSWORD: Final = 200  # Argon2 takes any length; a bound keeps a request's cost bounded
MAX_EMAIL: Final = 254
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.][^@\s]*\.[^@\s.]+")
_USER_ID = re.compile(r"usr_[0-9a-f]{16}")


def new_user_id() -> str:
    return f"usr_{secrets.token_hex(8)}"


def normalise_email(email: str) -> str:
    """Emails compare without edge spaces and in lower case (how people type them)."""
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    """Why ``email`` (normalised) cannot be an account's, or ``None``."""
    if not email:
        return "enter your email address"
    if len(email) > MAX_EMAIL or not email.isprintable() or not _EMAIL.fullmatch(email):
        return "enter an email address like name@example.org"
    return None


def password_problem(password: str) -> str | None:
    """Why ``password`` is not good enough, or ``None``: long enough, not only spaces."""
    if len(password) < MIN_PASSWORD:
        return f"use at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"use at most {MAX_PASSWORD} characters"
    if not password.strip():
        return "use more than spaces"
    return None


@dataclass(frozen=True, slots=True)
class Account:
    """A person's account; ``locked_until_ms`` is set while repeated wrong passwords lock it."""

    user_id: str
    email: str
    participant_id: str
    created_at_ms: int
    password_hash: str | None = field(default=None, repr=False)
    locked_until_ms: int | None = None

    def __post_init__(self) -> None:
        if not _USER_ID.fullmatch(self.user_id):
            raise ValueError("a user id is usr_ and 16 lower-case hex digits")
        if self.email != normalise_email(self.email) or email_problem(self.email):
            raise ValueError("an account's email is normalised and well formed")

    def locked(self, now_ms: int) -> bool:
        return self.locked_until_ms is not None and now_ms < self.locked_until_ms


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in browser: ``expires_at_ms`` is when it stops, whatever happens."""

    id_hash: bytes = field(repr=False)
    user_id: str
    created_at_ms: int
    expires_at_ms: int

    def expired(self, now_ms: int) -> bool:
        return now_ms >= self.expires_at_ms
