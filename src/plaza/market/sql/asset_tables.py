"""Assets: each one's current state, and every state it went through.

``assets`` holds the current state (as JSON in ``state``, with the columns searches
filter on); ``asset_states`` one row per version, never updated, which is what the
asset twins are caught up from after a restart. A unique (owner, idempotency key)
makes a retried registration find its asset instead of making a second one.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from plaza.market.sql.metadata import METADATA

__all__ = ["asset_states", "assets"]

_ID = 200
_OWNER = 256

assets = Table(
    "assets",
    METADATA,
    Column("id", String(_ID), primary_key=True),
    Column("owner", String(_OWNER), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("registered_at_ms", BigInteger, nullable=False),
    Column("idempotency_key", String(128), nullable=True),
    Column("state", Text, nullable=False),
    UniqueConstraint("owner", "idempotency_key"),
    Index(None, "kind", "status"),
    Index(None, "owner"),
)

asset_states = Table(
    "asset_states",
    METADATA,
    Column("asset_id", String(_ID), ForeignKey("assets.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("state", Text, nullable=False),
)
