"""What the marketplace database raises, beneath whatever the ports name.

Adapters translate SQLAlchemy's and the drivers' exceptions into this family,
keeping the original as ``__cause__`` for the logs. It extends the market's
:class:`~plaza.market.errors.StoreFailed`, so the domain can catch it without
knowing SQL and the API's error table answers 503 for it::

    StoreFailed (plaza.market.errors)
    └── MarketStorageError          the marketplace database failed; a failed write left nothing
        ├── UnsupportedDatabase     the URL names neither SQLite nor PostgreSQL with psycopg 3
        ├── SchemaNotCurrent        the schema is not at the head revision this code needs
        └── SchemaDrift             tables differ from what the migrations should have made
"""

from __future__ import annotations

from collections.abc import Sequence

from plaza.market.errors import StoreFailed

__all__ = ["MarketStorageError", "SchemaDrift", "SchemaNotCurrent", "UnsupportedDatabase"]


class MarketStorageError(StoreFailed):
    """A marketplace database operation failed; a failed write is not visible."""


class UnsupportedDatabase(MarketStorageError):
    def __init__(self, driver: str) -> None:
        super().__init__(
            f"unsupported database driver {driver!r}: use sqlite:///path or postgresql+psycopg://"
        )
        self.driver = driver


class SchemaNotCurrent(MarketStorageError):
    def __init__(self, found: str | None, head: str) -> None:
        where = "an empty database" if found is None else f"revision {found}"
        super().__init__(f"the marketplace schema is at {where}, this code needs {head}")
        self.found = found
        self.head = head


class SchemaDrift(MarketStorageError):
    def __init__(self, differences: Sequence[str]) -> None:
        super().__init__("the database differs from the migrations: " + "; ".join(differences))
        self.differences = tuple(differences)
