"""The twin directory: which channel is each record's twin, and how far it is written."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, LargeBinary, String, Table, UniqueConstraint

from plaza.market.sql.metadata import METADATA

__all__ = ["twin_progress", "twins"]

twins = Table(
    "twins",
    METADATA,
    Column("kind", String(16), primary_key=True),
    Column("record_id", String(200), primary_key=True),
    Column("channel_id", LargeBinary, nullable=False),
    Column("cursor_store", String(500), nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("last_step", BigInteger, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("ready", Boolean, nullable=False),
    UniqueConstraint("channel_id"),
)

#: Named progress marks; one row, ``orders``: the journal step recorded through.
twin_progress = Table(
    "twin_progress",
    METADATA,
    Column("name", String(40), primary_key=True),
    Column("step", BigInteger, nullable=False),
)
