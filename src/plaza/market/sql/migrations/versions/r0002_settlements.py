"""Settlements of contracts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "settlements",
        sa.Column("contract_id", sa.String(length=90), nullable=False),
        sa.Column("provider", sa.String(length=90), nullable=False),
        sa.Column("consumer", sa.String(length=90), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("phase", sa.String(length=40), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("deadline_ms", sa.BigInteger(), nullable=False),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("payment_message_id", sa.LargeBinary(), nullable=True),
        sa.Column("payment_raw", sa.LargeBinary(), nullable=True),
        sa.Column("payment_amount", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("contract_id", name=op.f("pk_settlements")),
    )
    op.create_index(
        op.f("ix_settlements_phase_deadline_ms"), "settlements", ["phase", "deadline_ms"]
    )
    op.create_index(
        op.f("ix_settlements_consumer_phase_created_at_ms"),
        "settlements",
        ["consumer", "phase", "created_at_ms"],
    )


def downgrade() -> None:
    op.drop_table("settlements")
