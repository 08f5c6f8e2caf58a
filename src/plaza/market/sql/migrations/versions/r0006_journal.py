"""The book's journal joins the market's database (it was a SQLite file of its own).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "market_journal",
        sa.Column("step", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("participant", sa.String(length=90), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("step", name=op.f("pk_market_journal")),
        sa.UniqueConstraint(
            "participant",
            "idempotency_key",
            name=op.f("uq_market_journal_participant_idempotency_key"),
        ),
    )


def downgrade() -> None:
    op.drop_table("market_journal")
