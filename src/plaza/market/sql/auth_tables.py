"""Tables of participants, their roles, API keys and request nonces.

Times are integer milliseconds since the Unix epoch (``BIGINT``), as everywhere in
Plaza; keys and hashes are raw bytes. No column has a server default: the domain
supplies every value, so the two dialects cannot disagree about one.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Unicode,
)

from plaza.market.sql.metadata import METADATA

__all__ = ["api_keys", "participant_roles", "participants", "request_nonces"]

_ID = 90  # a plz1… address is 62 characters; room for a longer prefix later

participants = Table(
    "participants",
    METADATA,
    Column("id", String(_ID), primary_key=True),
    Column("signing_key", LargeBinary, nullable=False, unique=True),
    Column("encryption_key", LargeBinary, nullable=False),
    Column("display_name", Unicode(100), nullable=False),
    Column("registered_at_ms", BigInteger, nullable=False),
    Column("excluded", Boolean, nullable=False),
    Index(None, "registered_at_ms", "id"),
)

#: One row per role: a set, not a delimited string, so "all auditors" is a plain query.
participant_roles = Table(
    "participant_roles",
    METADATA,
    Column(
        "participant_id",
        String(_ID),
        ForeignKey("participants.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("role", String(16), primary_key=True),
)

api_keys = Table(
    "api_keys",
    METADATA,
    Column("id", String(16), primary_key=True),
    Column("owner_id", String(_ID), ForeignKey("participants.id"), nullable=False, index=True),
    Column("name", Unicode(100), nullable=False),
    Column("scopes", String(200), nullable=False),  # space-separated; only ever read whole
    Column("key_hash", LargeBinary, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("revoked_at_ms", BigInteger, nullable=True),
    Column("last_used_at_ms", BigInteger, nullable=True),
    Column("expires_at_ms", BigInteger, nullable=True),
)

#: No foreign key to participants: rows churn with every request, and the
#: verifier only stores a nonce after it found the participant.
request_nonces = Table(
    "request_nonces",
    METADATA,
    Column("participant_id", String(_ID), primary_key=True),
    Column("nonce", String(128), primary_key=True),
    Column("expires_at_ms", BigInteger, nullable=False, index=True),
)
