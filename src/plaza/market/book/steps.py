"""How the bid manager's methods run: one at a time, on a book caught up with the journal.

Three decorators for :class:`~plaza.market.book.service.BidManager`'s public methods:
:func:`serialised` takes its lock; :func:`reading` also first applies the steps other
bid managers appended to the shared journal; :func:`stepping` runs the method as one
step (the lock, then a unit of work that holds the journal, caught up).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Concatenate, ParamSpec, Protocol, TypeVar

__all__ = ["reading", "serialised", "stepping"]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


class Stepper(Protocol):
    """What the decorators need of the bid manager (its own internals, in this package)."""

    _lock: threading.RLock

    def _catch_up(self) -> None: ...

    def _step(self, action: Callable[[], T]) -> T: ...


S = TypeVar("S", bound=Stepper)


def serialised(
    method: Callable[Concatenate[S, P], R],
) -> Callable[Concatenate[S, P], R]:
    """Run ``method`` under the bid manager's lock."""

    def locked(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._lock:
            return method(self, *args, **kwargs)

    functools.update_wrapper(locked, method)
    return locked


def reading(
    method: Callable[Concatenate[S, P], R],
) -> Callable[Concatenate[S, P], R]:
    """Run ``method`` under the bid manager's lock, on a book caught up with the journal."""

    def caught_up(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._lock:
            self._catch_up()
            return method(self, *args, **kwargs)

    functools.update_wrapper(caught_up, method)
    return caught_up


def stepping(
    method: Callable[Concatenate[S, P], R],
) -> Callable[Concatenate[S, P], R]:
    """Run ``method`` as one step: under the lock, in a unit of work holding the journal."""

    def step(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._lock:
            return self._step(functools.partial(method, self, *args, **kwargs))

    functools.update_wrapper(step, method)
    return step
