"""Settlements record their contract's kind, and its value when the kind prices it.

A vertical's kind may price a contract otherwise than quantity times unit price
(energy: watt-hours at a price per kWh); the settlement must charge that value
after a restart too, and the kind chooses which vertical's hooks hear its steps.
Both columns are nullable: rows written before stay as they were (no kind,
quantity times unit price).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("settlements") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("value", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("settlements") as batch:
        batch.drop_column("value")
        batch.drop_column("kind")
