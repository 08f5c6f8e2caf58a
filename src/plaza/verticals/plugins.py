"""The registry of verticals, filled from entry points as datasette fills its plugin manager.

Every vertical, the built-in energy one included, is found the same way: an
entry point in the ``plaza.verticals`` group whose object is a
:class:`~plaza.verticals.model.Vertical`::

    [project.entry-points."plaza.verticals"]
    energy = "plaza.verticals.energy:vertical"

:data:`registry` reads the group the first time it is asked anything. Tests
register a vertical for a while with :meth:`VerticalRegistry.registered`, or
build a registry of their own (``VerticalRegistry(group=None)`` reads no entry
points). What the market needs is :meth:`VerticalRegistry.kinds`; the API, the
CLI and the web take :meth:`routers`, :meth:`commands` and :meth:`pages`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points

import typer
from fastapi import APIRouter

from plaza.market.kinds import Kinds
from plaza.verticals.errors import InvalidVertical, VerticalConflict
from plaza.verticals.model import Agent, Units, Vertical, VerticalPages, check_vertical

__all__ = ["ENTRY_POINT_GROUP", "VerticalRegistry", "registry"]

#: The entry-point group verticals are declared in.
ENTRY_POINT_GROUP = "plaza.verticals"


class VerticalRegistry:
    """Verticals by name, each kind owned by one; reads its entry points on first use."""

    def __init__(self, *, group: str | None = ENTRY_POINT_GROUP) -> None:
        self._group = group
        self._loaded = group is None
        self._lock = threading.RLock()
        self._verticals: dict[str, Vertical] = {}

    # -- registering ---------------------------------------------------------------------

    def register(self, vertical: Vertical) -> Vertical:
        """Add ``vertical``; :class:`VerticalConflict` if its name or a kind is taken."""
        check_vertical(vertical, "register()")
        with self._lock:
            self._load()
            self._add(vertical)
        return vertical

    def unregister(self, name: str) -> Vertical:
        """Remove the vertical called ``name`` (``KeyError`` if there is none)."""
        with self._lock:
            self._load()
            return self._verticals.pop(name)

    @contextmanager
    def registered(self, vertical: Vertical) -> Iterator[Vertical]:
        """``vertical`` registered for the ``with`` block, unregistered after it."""
        self.register(vertical)
        try:
            yield vertical
        finally:
            self.unregister(vertical.name)

    def load_entry_points(self) -> list[str]:
        """Register every vertical of the group not registered yet; their names.

        A vertical whose entry point fails to load, or is not a :class:`Vertical`,
        is an :class:`InvalidVertical`: a broken vertical is refused loudly.
        """
        if self._group is None:
            return []
        added = []
        with self._lock:
            self._loaded = True
            for point in sorted(entry_points(group=self._group), key=lambda p: p.name):
                if point.name in self._verticals:
                    continue
                try:
                    loaded = point.load()
                except Exception as error:
                    reason = f"entry point {point.value!r} failed: {error!r}"
                    raise InvalidVertical(point.name, reason) from error
                vertical = check_vertical(loaded, f"entry point {point.name}")
                if vertical.name != point.name:
                    reason = f"its entry point is called {point.name!r}"
                    raise InvalidVertical(vertical.name, reason)
                self._add(vertical)
                added.append(vertical.name)
        return added

    # -- reading -------------------------------------------------------------------------

    def verticals(self) -> tuple[Vertical, ...]:
        """Every registered vertical, by name."""
        with self._lock:
            self._load()
            return tuple(self._verticals[name] for name in sorted(self._verticals))

    def get(self, name: str) -> Vertical | None:
        with self._lock:
            self._load()
            return self._verticals.get(name)

    def kinds(self) -> Kinds:
        """The kinds of every vertical, as the marketplace consults them."""
        return Kinds(spec for vertical in self.verticals() for spec in vertical.kinds)

    def units(self) -> dict[str, Units]:
        """How each kind's quantities and prices read, by kind (a kind absent: plain units)."""
        return {kind: units for v in self.verticals() for kind, units in v.units.items()}

    def routers(self) -> dict[str, tuple[APIRouter, ...]]:
        """Each vertical's routers by its name, which the API mounts them under."""
        return {v.name: v.routers for v in self.verticals() if v.routers}

    def commands(self) -> list[tuple[str, typer.Typer]]:
        """``(name, app)`` of each vertical with commands, for ``plaza <name>``."""
        return [(v.name, v.commands) for v in self.verticals() if v.commands is not None]

    def pages(self) -> list[tuple[str, VerticalPages]]:
        """``(name, pages)`` of each vertical that has pages, for the web app."""
        return [(v.name, v.pages()) for v in self.verticals() if v.pages is not None]

    def agents(self) -> dict[str, Agent]:
        """Every demo agent by ``<vertical>.<agent>``."""
        return {
            f"{vertical.name}.{name}": agent
            for vertical in self.verticals()
            for name, agent in vertical.agents.items()
        }

    # -- internals -----------------------------------------------------------------------

    def _load(self) -> None:
        if not self._loaded:
            self.load_entry_points()

    def _add(self, vertical: Vertical) -> None:
        if vertical.name in self._verticals:
            raise VerticalConflict(vertical.name, "its name", "a registered vertical")
        owners = {spec.kind: v.name for v in self._verticals.values() for spec in v.kinds}
        for spec in vertical.kinds:
            if spec.kind in owners:
                raise VerticalConflict(vertical.name, f"kind {spec.kind!r}", owners[spec.kind])
        self._verticals[vertical.name] = vertical


#: The verticals of this installation: the entry points' (energy's among them), and any
#: a test registers for a while.
registry = VerticalRegistry()
