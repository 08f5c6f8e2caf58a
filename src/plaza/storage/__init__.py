"""Adapters for the ledger's :class:`~plaza.ledger.ports.TangleStore` port.

``MemoryTangleStore`` for tests and throw-away nodes, ``SqliteTangleStore`` for a
node on its own, ``PostgresTangleStore`` for nodes sharing a database server.
All three pass the same contract suite (``tests/contract``) and raise only the
:class:`StorageError` family, never a driver's exception.

This face exports the memory store and the errors only, so that importing it
loads no driver; the composition root imports :mod:`plaza.storage.sqlite` and
:mod:`plaza.storage.postgres` itself.
"""

from __future__ import annotations

from plaza.storage.errors import SchemaVersionError, StorageError
from plaza.storage.memory import MemoryTangleStore

__all__ = [
    "MemoryTangleStore",
    "SchemaVersionError",
    "StorageError",
]
