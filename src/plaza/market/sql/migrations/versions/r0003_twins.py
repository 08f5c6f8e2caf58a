"""Digital twins: record id to twin channel, and how far each twin is written.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "twins",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("channel_id", sa.LargeBinary(), nullable=False),
        sa.Column("cursor_store", sa.String(length=500), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_step", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("ready", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "record_id", name=op.f("pk_twins")),
        sa.UniqueConstraint("channel_id", name=op.f("uq_twins_channel_id")),
    )
    op.create_table(
        "twin_progress",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_twin_progress")),
    )


def downgrade() -> None:
    op.drop_table("twin_progress")
    op.drop_table("twins")
