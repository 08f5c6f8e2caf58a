"""Alembic migrations of the marketplace schema; run them with :mod:`plaza.market.sql.migrate`."""
