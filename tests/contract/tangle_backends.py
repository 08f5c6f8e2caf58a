"""The handle contract tests get on a backend: open stores on the same data, tamper with it.

A module of its own (not ``conftest``) so test modules can import the type.
"""

from __future__ import annotations

from collections.abc import Callable

from plaza.ledger.ports import TangleStore

__all__ = ["Backend"]


class Backend:
    """Opens stores on one backend's storage, and closes them all at teardown."""

    def __init__(
        self,
        name: str,
        factory: Callable[[], TangleStore],
        *,
        set_version: Callable[[int], None] | None = None,
        execute: Callable[[str], None] | None = None,
    ) -> None:
        self.name = name
        self._factory = factory
        self._set_version = set_version
        self._execute = execute
        self._opened: list[TangleStore] = []

    @property
    def persistent(self) -> bool:
        return self._set_version is not None

    def open(self) -> TangleStore:
        """A store on the same data as every earlier one (for persistent backends)."""
        store = self._factory()
        self._opened.append(store)
        return store

    def set_schema_version(self, version: int) -> None:
        """Write a schema version straight into the database, behind the store's back."""
        assert self._set_version is not None, f"{self.name} has no schema"
        self._set_version(version)

    def execute(self, statement: str) -> None:
        """Run one SQL statement on the database, behind the store's back (a migration test)."""
        assert self._execute is not None, f"{self.name} has no SQL"
        self._execute(statement)

    def close_all(self) -> None:
        for store in self._opened:
            store.close()
