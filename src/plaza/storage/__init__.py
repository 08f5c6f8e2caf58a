"""Adapters for the ledger's :class:`~plaza.ledger.ports.TangleStore` port.

``MemoryTangleStore`` for tests and throw-away nodes, ``SqliteTangleStore`` for a
node on its own, ``PostgresTangleStore`` for nodes sharing a database server.
All three pass the same contract suite (``tests/contract``) and raise only the
:class:`StorageError` family, never a driver's exception.
"""

from __future__ import annotations

from plaza.storage.errors import SchemaVersionError, StorageError
from plaza.storage.memory import MemoryTangleStore
from plaza.storage.postgres import PostgresTangleStore
from plaza.storage.sqlite import SqliteTangleStore

__all__ = [
    "MemoryTangleStore",
    "PostgresTangleStore",
    "SchemaVersionError",
    "SqliteTangleStore",
    "StorageError",
]
