"""What the marketplace backend needs from outside: its database, its outbox, the ledger's
check of a reported payment, and a clock.

Adapters: :class:`~plaza.energy.backend.store.SqliteMarketplaceStore` (the running module) and
:class:`~plaza.energy.backend.memory.MemoryMarketplaceStore` (tests), both checked by one
contract suite (``tests/contract/test_energy_marketplace_store.py``),
:class:`plaza.energy.link.EnergyOutbox` (a :class:`~plaza.energy.link.LetterSender`) and
:class:`plaza.market.payments.service.LedgerPayments`.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol

from plaza.energy.backend.model import (
    AssetRecord,
    ContractSummary,
    EnergyContractRecord,
    RecordEvent,
    TransactionRecord,
)
from plaza.energy.model import TransactionStatus, TransactionType
from plaza.ledger.ports import Clock
from plaza.market.settlement import Contract as SettlementContract
from plaza.market.settlement import PreparedPayment, SettlementStore
from plaza.market.twins.records import TwinIndex

__all__ = ["Clock", "MarketplaceStore", "PaymentCheck"]


class MarketplaceStore(TwinIndex, Protocol):
    """The marketplace's database (the seed's ``marketplace.sqlite3``), and its twin index."""

    @property
    def settlements(self) -> SettlementStore:
        """Each contract's settlement; its writes join :meth:`atomic`'s transaction."""
        ...

    def atomic(self) -> AbstractContextManager[None]:
        """Run the writes inside as one transaction: all of them land, or none."""
        ...

    def asset(self, asset_id: str) -> AssetRecord | None:
        """The registered asset, or None."""
        ...

    def save_asset(self, asset: AssetRecord, *, now_ms: int) -> None:
        """Register an asset, or update its registration."""
        ...

    def transaction(self, side: TransactionType, transaction_id: str) -> TransactionRecord | None:
        """An offer or request by its own id, or None."""
        ...

    def save_transaction(self, record: TransactionRecord, *, now_ms: int) -> None:
        """Store a new offer or request, or its new latest state and contract."""
        ...

    def contract(self, contract_id: str) -> EnergyContractRecord | None:
        """A contract by id, or None."""
        ...

    def save_contract(
        self, record: EnergyContractRecord, *, status: TransactionStatus, now_ms: int
    ) -> None:
        """Store a new contract, or its latest state; ``status`` is its settlement's."""
        ...

    def add_event(self, event: RecordEvent, *, now_ms: int) -> RecordEvent:
        """Store an event; the returned copy carries its id."""
        ...

    def find_event(
        self, record_id: str, party: str, path: str, state: Mapping[str, Any]
    ) -> RecordEvent | None:
        """The event in which ``party`` sent this very state to ``path`` before (a retry)."""
        ...

    def events(self, record_id: str) -> list[RecordEvent]:
        """Every event of a record, oldest first."""
        ...

    def caused_by(self, event_id: int) -> list[RecordEvent]:
        """The letters sent because of one event, oldest first."""
        ...

    def pending_twin_events(self) -> list[RecordEvent]:
        """Events that belong on a twin and are not there yet, oldest first."""
        ...

    def mark_on_twin(self, event_id: int, position: int, message_id: str) -> None:
        """Where an event landed on its twin."""
        ...

    def claims_against(self, consumer: str) -> int:
        """How many of the consumer's contracts were claimed."""
        ...

    def log(
        self, *, now_ms: int, operation: str, record_id: str, outcome: str, detail: str
    ) -> None:
        """The seed's ``log`` table: every significant operation, its success or refusal."""
        ...

    def statistics(self) -> dict[str, int]:
        """Counts of assets, offers, requests, contracts and letters per kind."""
        ...

    def contracts(self, *, limit: int) -> list[ContractSummary]:
        """The newest ``limit`` contracts first (ties by id), for auditors to pick from."""
        ...

    def log_entries(self, *, limit: int = 1000) -> list[dict[str, Any]]:
        """The newest log lines first (for operators and tests)."""
        ...

    def close(self) -> None:
        """Release the database; the store is not used after."""
        ...


class PaymentCheck(Protocol):
    """The ledger, asked whether a message the consumer reports pays its contract."""

    def verify(self, contract: SettlementContract, message_id: bytes) -> PreparedPayment:
        """The message as the contract's payment (see
        :meth:`plaza.market.settlement.Payments.verify`); raises
        :class:`~plaza.market.settlement.PaymentRejected` if it is none, or
        :class:`~plaza.market.settlement.PaymentFailed` if the ledger cannot be asked."""
        ...
