"""The twin outbox: twin states staged with the requests that cause them, written later.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "twin_outbox",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("twin_kind", sa.String(length=16), nullable=False),
        sa.Column("twin_id", sa.String(length=200), nullable=False),
        sa.Column("doc_type", sa.String(length=16), nullable=False),
        sa.Column("record", sa.String(length=200), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("parties", sa.Text(), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("committed_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("written_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("written_step", sa.BigInteger(), nullable=True),
        sa.Column("position", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_twin_outbox")),
        sa.UniqueConstraint(
            "twin_kind",
            "twin_id",
            "doc_type",
            "record",
            "step",
            name=op.f("uq_twin_outbox_twin_kind_twin_id_doc_type_record_step"),
        ),
    )
    op.create_index(
        op.f("ix_twin_outbox_written_at_ms_seq"), "twin_outbox", ["written_at_ms", "seq"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_twin_outbox_written_at_ms_seq"), table_name="twin_outbox")
    op.drop_table("twin_outbox")
