"""Why an account operation was refused, as one exception family.

Messages are written for the person at the form: they say what to change, or when
to try again, and never echo a password or a session token::

    AccountError
    ├── InvalidInput        fields a form must change (``problems``: field to message)
    ├── WrongCredentials    the email or the password is wrong (which one is not said)
    ├── AccountLocked       too many wrong passwords for this account; ``retry_at_ms``
    ├── TooManyAttempts     too many attempts from this address; ``retry_at_ms``
    ├── SessionExpired      the session's time is up: log in again
    ├── AccountNotFound     no account with that user id
    └── IdentityTaken       that OpenID Connect identity is linked to another account
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType

__all__ = [
    "AccountError",
    "AccountLocked",
    "AccountNotFound",
    "IdentityTaken",
    "InvalidInput",
    "SessionExpired",
    "TooManyAttempts",
    "WrongCredentials",
]


def _clock_time(at_ms: int) -> str:
    return datetime.fromtimestamp(at_ms / 1000, tz=UTC).strftime("%H:%M:%S UTC")


class AccountError(Exception):
    """An account operation refused; ``message`` is for the person at the form."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(AccountError):
    """One message per field to change; nothing was stored."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {why}" for field, why in problems.items()))
        self.problems = MappingProxyType(dict(problems))


class WrongCredentials(AccountError):
    def __init__(self) -> None:
        super().__init__("The email or the password is wrong.")


class _RetryLater(AccountError):
    def __init__(self, message: str, retry_at_ms: int) -> None:
        super().__init__(f"{message} Try again after {_clock_time(retry_at_ms)}.")
        self.retry_at_ms = retry_at_ms


class AccountLocked(_RetryLater):
    """Locked after repeated wrong passwords: a guesser gets a few tries per lock period."""

    def __init__(self, retry_at_ms: int) -> None:
        super().__init__("This account is locked after too many wrong passwords.", retry_at_ms)


class TooManyAttempts(_RetryLater):
    """Too many attempts from one client address, whichever accounts they named."""

    def __init__(self, retry_at_ms: int) -> None:
        super().__init__("Too many attempts from your address.", retry_at_ms)


class SessionExpired(AccountError):
    def __init__(self) -> None:
        super().__init__("Your session has expired: please log in again.")


class AccountNotFound(AccountError):
    def __init__(self, user_id: str) -> None:
        super().__init__(f"there is no account {user_id}")
        self.user_id = user_id


class IdentityTaken(AccountError):
    def __init__(self, issuer: str, subject: str) -> None:
        super().__init__(f"the identity {subject} at {issuer} belongs to another account")
        self.issuer = issuer
        self.subject = subject
