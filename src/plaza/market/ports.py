"""What the bid manager needs from the outside world: a journal, twins, assets and a clock,
and whom to tell about each asset change (:class:`AssetListener`).

Adapters: :mod:`plaza.market.memory` (every port, in memory) and
:mod:`plaza.market.sqlite` (:class:`BookStore` on one SQLite file). The
SQLAlchemy adapter for PostgreSQL implements the same :class:`BookStore`; the
contract suite ``tests/unit/market/test_market_store_contract.py`` is written to
run against each adapter.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from plaza.clock import Clock
from plaza.market.assets import AssetQuery
from plaza.market.journal import JournalEntry, OrderChange
from plaza.market.model import Asset

__all__ = ["AssetDirectory", "AssetListener", "AssetTwins", "BookStore", "Clock", "OrderTwins"]


class BookStore(Protocol):
    """The book's durable journal: append-only, one entry per step, in step order.

    The book is rebuilt by replaying every entry, so whatever this store returns
    is the book. One bid manager writes to a store at a time; the step numbering
    makes a second writer fail loudly instead of forking the book.
    """

    def append(self, entry: JournalEntry) -> None:
        """Write one step atomically: after it returns the step survives a crash.

        Raise :class:`~plaza.market.errors.JournalConflict`, writing nothing, unless
        ``entry.step`` is :meth:`last_step` + 1 and its (participant, idempotency
        key), when set, is not in the journal yet.
        """
        ...

    def entries(self, *, after_step: int = 0) -> Iterator[JournalEntry]:
        """Every entry with a step above ``after_step``, in step order."""
        ...

    def entry(self, step: int) -> JournalEntry | None:
        """The entry of one step (a retried command's original outcome), or None."""
        ...

    def last_step(self) -> int:
        """The highest step written, 0 for an empty journal."""
        ...

    def close(self) -> None:
        """Release files and connections; the store is unusable afterwards."""
        ...


class OrderTwins(Protocol):
    """Records each order's state changes on its digital twin (a channel on the ledger).

    The bid manager calls :meth:`record` after a step is journaled, and on start
    re-sends the changes of every step after :meth:`recorded_through`, so a crash
    between journal and twin loses no change (at-least-once; adapters deduplicate).
    """

    def record(self, changes: Sequence[OrderChange]) -> None:
        """Record the changes of whole steps, in step order.

        Changes of a step already recorded are ignored. Raise
        :class:`~plaza.market.errors.TwinUnavailable` when nothing can be recorded
        now (the ledger is unreachable); the bid manager retries later.
        """
        ...

    def recorded_through(self) -> int:
        """The last step whose changes are all recorded, 0 for none."""
        ...


class AssetTwins(Protocol):
    """Records each asset state on the asset's digital twin (a channel on the ledger).

    The bid manager calls :meth:`record_asset` after a state is stored, and on start
    records again every state past :meth:`asset_recorded_through`, so a crash
    between the store and the twin loses no state (at-least-once; adapters deduplicate
    by version).
    """

    def record_asset(self, state: Asset) -> None:
        """Record (or queue, to record later) one state; never raises."""
        ...

    def asset_recorded_through(self, asset_id: str) -> int:
        """The last version on the asset's twin, 0 for none."""
        ...


class AssetListener(Protocol):
    """Hears each new asset state once, as it happens (the API's notifications).

    Unlike the twins it is not caught up after a restart: it hears of a state
    only when the bid manager stores it, never of a replayed registration or an
    update that changed nothing.
    """

    def asset_changed(self, before: Asset | None, after: Asset) -> None:
        """Called after ``after`` is stored; ``before`` is the state it replaced (``None``
        for a registration). Must not raise."""
        ...


class AssetDirectory(Protocol):
    """The registered assets and every state each went through.

    Each write is atomic and checked like a journal append: a state is stored only
    as the next version of what is stored, so a second writer fails loudly
    (:class:`~plaza.market.errors.AssetConflict`) instead of losing a state.
    """

    def add(self, asset: Asset, *, idempotency_key: str | None = None) -> None:
        """Store a new asset (its first state). Raise ``AssetConflict``, storing nothing, if
        the id is taken or the owner already used ``idempotency_key``."""
        ...

    def save(self, asset: Asset) -> None:
        """Store the next state of a known asset. Raise ``AssetConflict``, storing nothing,
        unless the stored version is ``asset.version - 1``."""
        ...

    def get(self, asset_id: str) -> Asset | None:
        """The asset's current state, or None."""
        ...

    def by_key(self, owner: str, idempotency_key: str) -> Asset | None:
        """The current state of the asset ``owner`` registered with this key, or None."""
        ...

    def history(self, asset_id: str) -> list[Asset]:
        """Every state of the asset, oldest (version 1) first; empty if unknown."""
        ...

    def search(self, query: AssetQuery) -> list[Asset]:
        """One page of the assets that fit ``query``, oldest registration first (every one
        that fits when ``query.limit`` is None)."""
        ...

    def count(self) -> int:
        """How many assets were ever registered (removed ones stay counted)."""
        ...
