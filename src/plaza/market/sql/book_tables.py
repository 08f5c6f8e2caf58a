"""The book's journal: one row per step, the entry as JSON (:mod:`plaza.market.book.codec`)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table, Text, UniqueConstraint

from plaza.market.sql.metadata import METADATA

__all__ = ["market_journal"]

market_journal = Table(
    "market_journal",
    METADATA,
    Column("step", BigInteger, primary_key=True, autoincrement=False),
    Column("at_ms", BigInteger, nullable=False),
    Column("participant", String(90), nullable=True),
    Column("idempotency_key", String(200), nullable=True),
    Column("entry", Text, nullable=False),
    # NULLs are distinct on both engines: only keyed commands are constrained.
    UniqueConstraint("participant", "idempotency_key"),
)
