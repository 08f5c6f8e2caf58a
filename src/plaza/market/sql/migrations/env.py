"""Alembic's entry point, run by :mod:`plaza.market.sql.migrate` on the connection it passes.

There is no offline (SQL script) mode and no URL in a config file: the
marketplace always migrates a live database, from code.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from plaza.market.sql.migrate import target_metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if context.is_offline_mode() or not isinstance(connection, Connection):
        raise RuntimeError("run marketplace migrations with plaza.market.sql.migrate")
    context.configure(
        connection=connection,
        target_metadata=target_metadata(),
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
