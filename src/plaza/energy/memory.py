"""The skeleton of the energy stores' in-memory adapters: tables behind one writer.

Each memory adapter keeps its tables in one dataclass of plain containers (dicts,
lists, sets) holding immutable values only (frozen records, text, bytes, numbers,
tuples), so a shallow copy of every container is a full snapshot. :class:`MemoryTables`
gives them what :class:`~plaza.sqlite.SqliteFile` gives the SQLite adapters:

- **one writer**: a re-entrant lock serialises every call, as the one connection does;
- **transactions**: :meth:`MemoryTables.write` snapshots the tables, and puts the
  snapshot back if the block raises: a failed block leaves nothing behind. A nested
  :meth:`~MemoryTables.write` joins the outer one, which alone commits or rolls back.

Values a SQLite column holds as JSON text the adapters keep as that text and parse on
every read, so a caller gets a fresh value each time, in the shapes the SQLite adapter
gives back; :func:`check_int64` refuses what the driver refuses.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

__all__ = ["INT64", "MemoryOperationLog", "MemoryTables", "check_int64"]

_T = TypeVar("_T")

#: What a SQLite ``INTEGER`` parameter can hold: the driver refuses anything outside it.
INT64 = range(-(2**63), 2**63)


class MemoryTables(Generic[_T]):
    """``tables`` (a dataclass of containers) behind a lock, written all or nothing."""

    def __init__(self, tables: _T) -> None:
        if not dataclasses.is_dataclass(tables):
            raise TypeError("the tables are one dataclass of containers")
        self._tables = tables
        self._lock = threading.RLock()
        self._depth = 0

    @contextmanager
    def write(self) -> Iterator[_T]:
        """The tables, for a block whose changes land together or, if it raises, not at all."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._tables
                finally:
                    self._depth -= 1
                return
            saved = _snapshot(self._tables)
            self._depth = 1
            try:
                yield self._tables
            except BaseException:
                _restore(self._tables, saved)
                raise
            finally:
                self._depth = 0

    @contextmanager
    def read(self) -> Iterator[_T]:
        """The tables under the lock: a group of lookups sees one state."""
        with self._lock:
            yield self._tables


class MemoryOperationLog:
    """The seed's ``log`` table of a marketplace or bid manager, for adapters whose tables
    hold it as a ``log`` list (so a failed block takes its lines back too)."""

    _tables: MemoryTables[Any]

    def log(
        self, *, now_ms: int, operation: str, record_id: str, outcome: str, detail: str
    ) -> None:
        line = {
            "at_ms": now_ms,
            "operation": operation,
            "record_id": record_id,
            "outcome": outcome,
            "detail": detail,
        }
        with self._tables.write() as t:
            t.log.append(line)

    def log_entries(self, *, limit: int = 1000) -> list[dict[str, Any]]:
        """The newest log lines first (for operators and tests)."""
        with self._tables.read() as t:
            return [dict(line) for line in t.log[::-1][: max(limit, 0)]]


def check_int64(*values: int) -> None:
    """Refuse, as the SQLite driver does, an integer a 64-bit column cannot hold."""
    for value in values:
        if value not in INT64:
            raise OverflowError("Python int too large to convert to SQLite INTEGER")


def _snapshot(tables: Any) -> dict[str, Any]:
    return {f.name: copy.copy(getattr(tables, f.name)) for f in dataclasses.fields(tables)}


def _restore(tables: Any, saved: dict[str, Any]) -> None:
    for name, value in saved.items():
        setattr(tables, name, value)
