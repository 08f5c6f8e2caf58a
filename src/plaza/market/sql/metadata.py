"""The one :class:`~sqlalchemy.MetaData` every marketplace table is declared on.

Tables are SQLAlchemy Core ``Table`` objects, not ORM classes: the domain's
values are frozen dataclasses (``market.auth.model``) that must not know about
a database, so adapters map rows to them explicitly either way; Core keeps that
mapping visible in one function per table and costs no identity map or unit of
work on hot paths such as the nonce check. Alembic autogenerates from this
metadata, and the drift test compares it with the migrated database.

The naming convention gives every constraint and index a deterministic name,
which later migrations need to alter or drop them (on SQLite through batch mode).
"""

from __future__ import annotations

from sqlalchemy import MetaData

__all__ = ["METADATA"]

METADATA = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
