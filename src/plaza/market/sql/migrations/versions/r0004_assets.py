"""Assets: each one's current state, and every state it went through (its twin's source).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("registered_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("state", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
        sa.UniqueConstraint(
            "owner", "idempotency_key", name=op.f("uq_assets_owner_idempotency_key")
        ),
    )
    op.create_index(op.f("ix_assets_kind_status"), "assets", ["kind", "status"], unique=False)
    op.create_index(op.f("ix_assets_owner"), "assets", ["owner"], unique=False)
    op.create_table(
        "asset_states",
        sa.Column("asset_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_asset_states_asset_id_assets")
        ),
        sa.PrimaryKeyConstraint("asset_id", "version", name=op.f("pk_asset_states")),
    )


def downgrade() -> None:
    op.drop_table("asset_states")
    op.drop_index(op.f("ix_assets_owner"), table_name="assets")
    op.drop_index(op.f("ix_assets_kind_status"), table_name="assets")
    op.drop_table("assets")
