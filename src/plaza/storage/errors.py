"""The errors storage raises, whatever database sits underneath.

The ledger and the node must not depend on ``sqlite3`` or ``psycopg`` (an
import-linter contract forbids it), so every adapter translates its driver's
exceptions into this small family, keeping the original as ``__cause__`` for
the logs.

    StorageError            the store could not do what was asked; nothing of a
    │                       failed write is visible
    └── SchemaVersionError  the database was written by a newer (or unknown)
                            schema version; refusing to open it protects the data
"""

from __future__ import annotations

__all__ = ["SchemaVersionError", "StorageError"]


class StorageError(Exception):
    """A storage operation failed; a failed write left the store unchanged."""


class SchemaVersionError(StorageError):
    """The database's schema version is not the one this code knows how to use."""

    def __init__(self, found: int, supported: int) -> None:
        if found > supported:
            hint = "it was written by a newer Plaza; upgrade this node"
        else:
            hint = "no migration from it exists"
        super().__init__(f"database schema version {found}, this code uses {supported}: {hint}")
        self.found = found
        self.supported = supported
