"""What the asset module needs of the world: its database, its twins, a clock (its outbox
is the energy modules' :class:`~plaza.energy.link.LetterSender`, its wallet on the ledger
the market's :class:`~plaza.market.settlement.Payments`).

Adapters: :class:`~plaza.energy.asset.store.SqliteAssetStore` (the running device) and
:class:`~plaza.energy.asset.memory.MemoryAssetStore` (tests) for :class:`AssetStore`,
both checked by one contract suite (``tests/contract/test_energy_asset_store.py``);
:class:`~plaza.energy.twins.Twins` for :class:`TwinRecorder`. The records
the store keeps (:class:`~plaza.energy.asset.config.OwnTransaction`,
:class:`~plaza.energy.asset.config.Change`, :class:`~plaza.energy.asset.config.Pool`)
are the domain's, in :mod:`plaza.energy.asset.config`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, Protocol

from plaza.energy.asset.config import Change, OwnTransaction, Pool
from plaza.ledger.ports import Clock
from plaza.market.settlement import SettlementStore
from plaza.market.twins.records import TwinIndex, TwinStep

__all__ = [
    "AssetStore",
    "Clock",
    "FirstTwinState",
    "TwinRecorder",
]


class AssetStore(TwinIndex, Protocol):
    """The device's database: configuration, pool, transactions, events, payment queue, log,
    its payments and the index of its twins (record id to channel)."""

    @property
    def settlements(self) -> SettlementStore:
        """The device's own payments, each its contract's settlement as the market keeps one:
        the signed payment saved before it is submitted, then followed to its fate."""
        ...

    def load_config(self) -> dict[str, Any] | None:
        """The stored configuration (wire names), or None before the first /init."""
        ...

    def save_config(self, config: Mapping[str, Any], *, now_ms: int) -> None:
        """Replace the configuration (logged)."""
        ...

    def pool(self) -> Pool:
        """The energy the device holds and how much of it is promised."""
        ...

    def add_energy(self, energy: int, *, now_ms: int, operation: str) -> Pool:
        """Add ``energy`` (negative: consumed) to the pool, logged; the pool after."""
        ...

    def record(self, record_id: str) -> OwnTransaction | None:
        """One of the device's transactions by its id, or None."""
        ...

    def records(self, statuses: Collection[str] | None = None) -> list[OwnTransaction]:
        """Records whose latest status is one of ``statuses`` (None: all), oldest first."""
        ...

    def first_state(self, record_id: str) -> dict[str, Any] | None:
        """The record's first state as stored: what its twin must begin with."""
        ...

    def events(self, record_id: str) -> list[dict[str, Any]]:
        """Every state of the record, in order, with the twin message each landed in."""
        ...

    def apply(self, change: Change) -> None:
        """Store the record and its event, move the pool and queue: all or nothing."""
        ...

    def touch(self, record_id: str, *, now_ms: int, queue: bool | None = None) -> None:
        """Restart the record's idle time without a state change; maybe (de)queue it."""
        ...

    def queued(self, limit: int) -> list[OwnTransaction]:
        """Queued records (waiting to be paid), in the order they were first queued."""
        ...

    def log(
        self, operation: str, detail: str, *, now_ms: int, record_id: str = "", ok: bool = True
    ) -> None:
        """One line in the seed's ``log`` table."""
        ...

    def log_lines(self, *, limit: int = 100) -> list[dict[str, Any]]:
        """The newest log lines first (for operators and tests)."""
        ...

    def counts(self) -> dict[str, int]:
        """Records per latest status."""
        ...

    def close(self) -> None:
        """Release the database; the store is not used after."""
        ...


FirstTwinState = Callable[[str], Mapping[str, Any] | None]
"""A record's first twin state if the whole twin is readable and signed by this device."""


class TwinRecorder(Protocol):
    """The device's twins: one private channel per transaction, signed by the device."""

    def record(self, record_id: str, state: Mapping[str, Any]) -> TwinStep:
        """Append ``state`` to the record's twin (opened if new); where it landed."""
        ...

    def reader_key(self, record_id: str) -> str:
        """The key that reads the record's whole twin, for the marketplace and the owner."""
        ...

    def flush(self) -> int:
        """Send the states the ledger did not take yet; how many twins are still behind."""
        ...
