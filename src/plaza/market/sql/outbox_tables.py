"""The twin outbox: twin states staged by requests, marked once on the ledger."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from plaza.market.sql.metadata import METADATA

__all__ = ["twin_outbox"]

#: ``seq`` is the order states are written in (SQLite: the rowid, so it autoincrements
#: there too). A state is staged once: (twin, document type, record, step) is unique, step
#: 0 taking the twin's next step when written. ``written_at_ms`` is NULL while pending.
twin_outbox = Table(
    "twin_outbox",
    METADATA,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("twin_kind", String(16), nullable=False),
    Column("twin_id", String(200), nullable=False),
    Column("doc_type", String(16), nullable=False),
    Column("record", String(200), nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("parties", Text, nullable=False),
    Column("document", LargeBinary, nullable=False),
    Column("committed_at_ms", BigInteger, nullable=False),
    Column("written_at_ms", BigInteger, nullable=True),
    Column("written_step", BigInteger, nullable=True),
    Column("position", BigInteger, nullable=True),
    Column("message_id", LargeBinary, nullable=True),
    UniqueConstraint("twin_kind", "twin_id", "doc_type", "record", "step"),
    Index(None, "written_at_ms", "seq"),
)
