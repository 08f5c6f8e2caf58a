"""Tables of people's accounts, their OpenID Connect identities, wrong passwords and sessions.

Accounts live in the market's database beside the participants they act as (a
foreign key), so one transaction sees both. Session rows hold only the hash of
the browser's token.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Text,
    Unicode,
)

from plaza.market.sql.metadata import METADATA

__all__ = ["account_identities", "accounts", "login_failures", "wallet_backups", "web_sessions"]

_USER_ID = 20  # usr_ and 16 hex digits

accounts = Table(
    "accounts",
    METADATA,
    Column("user_id", String(_USER_ID), primary_key=True),
    Column("email", Unicode(254), nullable=False, unique=True),
    Column("participant_id", String(90), ForeignKey("participants.id"), nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("password_hash", String(200), nullable=True),
    Column("locked_until_ms", BigInteger, nullable=True),
)

account_identities = Table(
    "account_identities",
    METADATA,
    Column("issuer", Unicode(300), primary_key=True),
    Column("subject", Unicode(255), primary_key=True),
    Column("user_id", String(_USER_ID), ForeignKey("accounts.user_id"), nullable=False),
)

login_failures = Table(
    "login_failures",
    METADATA,
    Column("user_id", String(_USER_ID), ForeignKey("accounts.user_id"), nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Index(None, "user_id", "at_ms"),
)

web_sessions = Table(
    "web_sessions",
    METADATA,
    Column("id_hash", LargeBinary(32), primary_key=True),
    Column("user_id", String(_USER_ID), ForeignKey("accounts.user_id"), nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("expires_at_ms", BigInteger, nullable=False, index=True),
)

#: The browser's locked seed (``plaza.market.accounts.backups``): kept, never opened here.
wallet_backups = Table(
    "wallet_backups",
    METADATA,
    Column("user_id", String(_USER_ID), ForeignKey("accounts.user_id"), primary_key=True),
    Column("locked", Text, nullable=False),
    Column("saved_at_ms", BigInteger, nullable=False),
)
