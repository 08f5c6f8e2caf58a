"""Audit: fetch a record's twin from the ledger, verify it, and diff it against the database.

The seeds' auditor "reads and verifies but changes nothing". :class:`Auditor` only
reads, through three ports: :class:`TwinTrails` (a twin's entries, read and
signature-checked by an auditor key; adapter
:class:`~plaza.market.audit.channels.ChannelTrails`), :class:`Confirmations` (what
the node says of a message id: the wallet gateways already answer it) and
:class:`MarketRecords` (the marketplace database's view: :class:`BookAndSettlements`).
The verdicts are pure functions (:mod:`plaza.market.audit.checks`)::

    auditor = Auditor(ChannelTrails(gateway, keys), wallet_gateway,
                      BookAndSettlements(book, settlements), marketplace_key=key)
    report = auditor.audit_contract("mat-12")
    assert report.clean, report.differences
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from plaza.ledger.model import MessageMetadata
from plaza.market.audit.checks import (
    CheckedTrail,
    asset_report,
    check_trail,
    contract_report,
    order_report,
)
from plaza.market.audit.model import (
    AuditedEntry,
    AuditReport,
    Confirmation,
    Difference,
    TrailEntry,
    TwinTrail,
)
from plaza.market.book.service import BidManager
from plaza.market.errors import AssetNotFound, InvalidAsset, OrderNotFound
from plaza.market.model import Asset, Order
from plaza.market.settlement import Settlement, SettlementStore
from plaza.market.twins.documents import DocumentType, TwinKind

__all__ = [
    "AuditReport",
    "AuditedEntry",
    "Auditor",
    "BookAndSettlements",
    "Confirmation",
    "Confirmations",
    "Difference",
    "MarketRecords",
    "TrailEntry",
    "TwinTrail",
    "TwinTrails",
]


class TwinTrails(Protocol):
    """A record's twin as read from the ledger, with an auditor's key."""

    def trail(self, kind: TwinKind, record_id: str) -> TwinTrail:
        """Every verified entry of the twin, oldest first, and why reading stopped early.

        A twin the reader has no key for is a trail with no channel and a problem.
        Raises only when the ledger cannot be reached (the audit cannot be done now).
        """
        ...


class Confirmations(Protocol):
    """The node's view of message ids: the wallet gateways implement this already."""

    def metadata(self, message_id: bytes) -> MessageMetadata | None:
        """The message's confirmation metadata, or None if the node does not have it."""
        ...


class MarketRecords(Protocol):
    """The marketplace database as an auditor reads it."""

    def order(self, order_id: str) -> Order | None:
        """The order as the bid manager holds it, or None."""
        ...

    def settlement(self, contract_id: str) -> Settlement | None:
        """The contract's settlement as stored, or None."""
        ...

    def asset(self, asset_id: str) -> Asset | None:
        """The asset's current state as stored, or None."""
        ...


class BookAndSettlements:
    """:class:`MarketRecords` over a bid manager and a settlement store (read only)."""

    def __init__(self, book: BidManager, settlements: SettlementStore) -> None:
        self._book = book
        self._settlements = settlements

    def order(self, order_id: str) -> Order | None:
        try:
            return self._book.order(order_id)
        except OrderNotFound:
            return None

    def settlement(self, contract_id: str) -> Settlement | None:
        return self._settlements.get(contract_id)

    def asset(self, asset_id: str) -> Asset | None:
        try:
            return self._book.asset(asset_id)
        except (AssetNotFound, InvalidAsset):  # InvalidAsset: no asset directory at all
            return None


class Auditor:
    """Reads twins and the database, verifies, reports; holds no write access to anything."""

    def __init__(
        self,
        trails: TwinTrails,
        confirmations: Confirmations,
        records: MarketRecords,
        *,
        marketplace_key: bytes,
    ) -> None:
        self._trails = trails
        self._confirmations = confirmations
        self._records = records
        self._key = marketplace_key

    def audit_order(self, order_id: str) -> AuditReport:
        """An order's twin: signatures, confirmations, and its latest state against the book."""
        checked = self._check(TwinKind.ORDER, order_id)
        return order_report(checked, self._records.order(order_id))

    def audit_contract(self, contract_id: str) -> AuditReport:
        """A contract's twin, both parties' twins, and its payment, against the settlement."""
        checked = self._check(TwinKind.CONTRACT, contract_id)
        settlement = self._records.settlement(contract_id)
        parties = self._parties(checked, settlement)
        party_trails = {
            party: check_trail(self._trails.trail(TwinKind.PARTICIPANT, party), self._key, {})
            for party in parties
        }
        payment = None
        if settlement is not None and settlement.payment is not None:
            payment = self._confirm(settlement.payment.message_id)
        return contract_report(
            checked, settlement, self._key, party_trails=party_trails, payment=payment
        )

    def audit_asset(self, asset_id: str) -> AuditReport:
        """An asset's twin (every state it went through) against its stored state."""
        checked = self._check(TwinKind.ASSET, asset_id)
        return asset_report(checked, self._records.asset(asset_id))

    def audit_trail(self, kind: TwinKind, record_id: str) -> CheckedTrail:
        """A twin read and checked (the channel's owner, signatures, sequence, each entry's
        confirmation), for a vertical comparing its own records with it (its orders
        channel)."""
        return self._check(kind, record_id)

    def audit_orders(self, order_ids: Iterable[str]) -> list[AuditReport]:
        return [self.audit_order(order_id) for order_id in order_ids]

    def _check(self, kind: TwinKind, record_id: str) -> CheckedTrail:
        trail = self._trails.trail(kind, record_id)
        confirmations = {
            entry.message_id: self._confirm(entry.message_id) for entry in trail.entries
        }
        return check_trail(trail, self._key, confirmations)

    def _confirm(self, message_id: bytes) -> Confirmation:
        return Confirmation.of(self._confirmations.metadata(message_id))

    @staticmethod
    def _parties(checked: CheckedTrail, settlement: Settlement | None) -> set[str]:
        """The contract's parties, as the twin's contract and the database name them."""
        parties: set[str] = set()
        document = checked.first(DocumentType.CONTRACT, checked.trail.record_id)
        if document is not None:
            terms = document.body.get("terms", {})
            parties.update(str(terms[name]) for name in ("provider", "consumer") if name in terms)
        if settlement is not None:
            parties.update((settlement.contract.provider, settlement.contract.consumer))
        return parties
