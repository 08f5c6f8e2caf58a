"""Asset notifications held back until the step that stored the state has committed.

A bid manager runs each step in a unit of work that several worker processes take
turns on (:meth:`~plaza.market.book.ports.BookStore.hold`); the asset registry tells
its listener of a new state as soon as it stored it, which is still inside that unit.
:class:`AfterCommit` stands between the two: it keeps what the registry told and
passes it on once the bid manager saw the unit commit, or forgets it if the unit
rolled back, so no one hears of a state the database does not have.
"""

from __future__ import annotations

import logging

from plaza.market.assets.ports import AssetListener
from plaza.market.model import Asset

__all__ = ["AfterCommit"]

log = logging.getLogger(__name__)


class AfterCommit:
    """An :class:`AssetListener` that holds each change until :meth:`release`."""

    def __init__(self, listener: AssetListener | None) -> None:
        self._listener = listener
        self._held: list[tuple[Asset | None, Asset]] = []

    def asset_changed(self, before: Asset | None, after: Asset) -> None:
        if self._listener is not None:
            self._held.append((before, after))

    def release(self) -> None:
        """Tell the listener every held change, in order (the step committed)."""
        held, self._held = self._held, []
        for before, after in held:
            try:
                assert self._listener is not None
                self._listener.asset_changed(before, after)
            except Exception:  # the state is stored: a listener's bug must not undo the step
                log.exception("an asset listener failed on %s (%s)", after.id, after.event)

    def drop(self) -> None:
        """Forget the held changes (the step rolled back: their states were never stored)."""
        self._held.clear()
