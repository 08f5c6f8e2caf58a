"""People's accounts: ``accounts``, their OpenID Connect ``account_identities``, recent
``login_failures`` (the lockout counts them) and ``web_sessions`` (hashed tokens).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_USER_ID = sa.String(length=20)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("user_id", _USER_ID, nullable=False),
        sa.Column("email", sa.Unicode(length=254), nullable=False),
        sa.Column("participant_id", sa.String(length=90), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("locked_until_ms", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_accounts_participant_id_participants"),
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_accounts_email")),
    )
    op.create_table(
        "account_identities",
        sa.Column("issuer", sa.Unicode(length=300), nullable=False),
        sa.Column("subject", sa.Unicode(length=255), nullable=False),
        sa.Column("user_id", _USER_ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["accounts.user_id"], name=op.f("fk_account_identities_user_id_accounts")
        ),
        sa.PrimaryKeyConstraint("issuer", "subject", name=op.f("pk_account_identities")),
    )
    _failures_and_sessions()


def _failures_and_sessions() -> None:
    op.create_table(
        "login_failures",
        sa.Column("user_id", _USER_ID, nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["accounts.user_id"], name=op.f("fk_login_failures_user_id_accounts")
        ),
    )
    op.create_index(op.f("ix_login_failures_user_id_at_ms"), "login_failures", ["user_id", "at_ms"])
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("user_id", _USER_ID, nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["accounts.user_id"], name=op.f("fk_web_sessions_user_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_web_sessions")),
    )
    op.create_index(op.f("ix_web_sessions_expires_at_ms"), "web_sessions", ["expires_at_ms"])


def downgrade() -> None:
    op.drop_index(op.f("ix_web_sessions_expires_at_ms"), table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_index(op.f("ix_login_failures_user_id_at_ms"), table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_table("account_identities")
    op.drop_table("accounts")
