"""The settlement of each contract: one row, updated in place under a version check."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, String, Table

from plaza.market.sql.metadata import METADATA

__all__ = ["settlements"]

_ID = 90

settlements = Table(
    "settlements",
    METADATA,
    Column("contract_id", String(_ID), primary_key=True),
    Column("provider", String(_ID), nullable=False),
    Column("consumer", String(_ID), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("unit_price", BigInteger, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("kind", String(64), nullable=True),  # null: made before kinds were recorded
    Column("value", BigInteger, nullable=True),  # null: quantity * unit_price
    Column("phase", String(40), nullable=False),
    Column("updated_at_ms", BigInteger, nullable=False),
    Column("deadline_ms", BigInteger, nullable=False),
    Column("reminders", Integer, nullable=False),
    Column("payment_message_id", LargeBinary, nullable=True),
    Column("payment_raw", LargeBinary, nullable=True),
    Column("payment_amount", BigInteger, nullable=True),
    Column("version", Integer, nullable=False),
    Index(None, "phase", "deadline_ms"),
    Index(None, "consumer", "phase", "created_at_ms"),
)
