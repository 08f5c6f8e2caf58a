"""Wallet backups: the seed a browser locked under its owner's passphrase, per account.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wallet_backups",
        sa.Column("user_id", sa.String(length=20), nullable=False),
        sa.Column("locked", sa.Text(), nullable=False),
        sa.Column("saved_at_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["accounts.user_id"],
            name=op.f("fk_wallet_backups_user_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_wallet_backups")),
    )


def downgrade() -> None:
    op.drop_table("wallet_backups")
