"""The marketplace's use cases as interfaces call them: authorise, act, then follow up.

Every command first checks the caller against :mod:`plaza.market.auth.policy`,
then runs on the bid manager or the settlement, and turns each match it made
into a signed contract (:class:`~plaza.market.contracts.ContractDesk`). Offers,
requests and assets are public, as on the seeds' public marketplace page (which
lists the assets offered from); contracts and their settlement are private to
their two parties, auditors and operators. Only an asset's owner changes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from plaza.market.assets.model import AssetChange, AssetQuery
from plaza.market.auth import Principal, Visibility
from plaza.market.auth.policy import check_can_audit, check_can_read, check_can_write
from plaza.market.book.ports import BookStore
from plaza.market.book.service import AssetRegistration, BidManager
from plaza.market.book.views import OrderQuery, Suggestion
from plaza.market.contracts import ContractDesk, SignedContract
from plaza.market.model import Asset, Match, NewAsset, NewOrder, Order
from plaza.market.settlement import (
    PreparedPayment,
    Settlement,
    SettlementService,
    SweepReport,
)

__all__ = ["Admission", "Marketplace", "OrderOutcome"]


class TwinQueue(Protocol):
    """The part of the twin recorder the marketplace drives (:class:`ChannelTwins`, or
    :class:`StagedTwins` whose flush wakes its outbox publisher)."""

    def flush(self) -> int:
        """Send queued contract and settlement states to their twins; how many went."""
        ...

    def catch_up(self, settlements: Iterable[Settlement]) -> int:
        """Queue the current state of each settlement whose twin lags it."""
        ...


class Admission(Protocol):
    """Whether new work may go on (:class:`~plaza.market.twins.backlog.TwinBacklog`)."""

    def admit(self) -> None:
        """Return if it may; raise a :class:`~plaza.market.errors.MarketError` if not."""
        ...


@dataclass(frozen=True, slots=True)
class OrderOutcome:
    order: Order
    contracts: tuple[SignedContract, ...]
    replayed: bool = False


class Marketplace:
    def __init__(
        self,
        *,
        book: BidManager,
        journal: BookStore,
        desk: ContractDesk,
        settlement: SettlementService,
        twins: TwinQueue | None = None,
        admission: Admission | None = None,
    ) -> None:
        """``admission`` is asked before each command that makes new work (an order, an
        order enabled again, a manual match, an asset); steps of contracts never are."""
        self._book = book
        self._journal = journal
        self._desk = desk
        self._settlement = settlement
        self._twins = twins
        self._admission = admission

    def _admit(self) -> None:
        if self._admission is not None:
            self._admission.admit()

    # -- orders ------------------------------------------------------------------------

    def submit_order(
        self, caller: Principal, spec: NewOrder, *, idempotency_key: str | None = None
    ) -> OrderOutcome:
        check_can_write(caller, spec.owner)
        self._admit()
        submission = self._book.submit_order(spec, idempotency_key=idempotency_key)
        contracts = self._desk.open(submission.matches)
        return OrderOutcome(submission.order, tuple(contracts), submission.replayed)

    def cancel_order(self, caller: Principal, order_id: str) -> Order:
        owner = self._book.order(order_id).owner
        check_can_write(caller, owner)
        return self._book.cancel_order(order_id, participant=owner)

    def disable_order(self, caller: Principal, order_id: str) -> Order:
        owner = self._book.order(order_id).owner
        check_can_write(caller, owner)
        return self._book.disable_order(order_id, participant=owner)

    def enable_order(self, caller: Principal, order_id: str) -> OrderOutcome:
        owner = self._book.order(order_id).owner
        check_can_write(caller, owner)
        self._admit()
        submission = self._book.enable_order(order_id, participant=owner)
        return OrderOutcome(submission.order, tuple(self._desk.open(submission.matches)))

    def order(self, caller: Principal | None, order_id: str) -> Order:
        order = self._book.order(order_id)
        check_can_read(caller, order.owner, Visibility.PUBLIC)
        return order

    def search(self, query: OrderQuery) -> list[Order]:
        """The public marketplace page: active offers and requests."""
        return self._book.search(query)

    def suggest_matches(self, caller: Principal, order_id: str) -> list[Suggestion]:
        owner = self._book.order(order_id).owner
        check_can_write(caller, owner)
        return self._book.suggest_matches(order_id, participant=owner)

    def confirm_match(
        self,
        caller: Principal,
        order_id: str,
        counter_id: str,
        *,
        quantity: int | None = None,
        idempotency_key: str | None = None,
    ) -> SignedContract:
        """A participant confirms one of the suggested matches (manual matching)."""
        owner = self._book.order(order_id).owner
        check_can_write(caller, owner)
        self._admit()
        match = self._book.confirm_match(
            order_id,
            counter_id,
            participant=owner,
            quantity=quantity,
            idempotency_key=idempotency_key,
        )
        [contract] = self._desk.open([match])
        return contract

    # -- assets ------------------------------------------------------------------------

    def register_asset(
        self, caller: Principal, spec: NewAsset, *, idempotency_key: str | None = None
    ) -> AssetRegistration:
        check_can_write(caller, spec.owner)
        self._admit()
        return self._book.register_asset(spec, idempotency_key=idempotency_key)

    def asset(self, caller: Principal | None, asset_id: str) -> Asset:
        asset = self._book.asset(asset_id)
        check_can_read(caller, asset.owner, Visibility.PUBLIC)
        return asset

    def asset_history(self, caller: Principal | None, asset_id: str) -> list[Asset]:
        """Every state the asset went through, oldest first: public like the asset."""
        states = self._book.asset_history(asset_id)
        check_can_read(caller, states[-1].owner, Visibility.PUBLIC)
        return states

    def search_assets(self, query: AssetQuery) -> list[Asset]:
        """The assets offers are made from, public like the offers."""
        return self._book.search_assets(query)

    def update_asset(self, caller: Principal, asset_id: str, change: AssetChange) -> Asset:
        owner = self._book.asset(asset_id).owner
        check_can_write(caller, owner)
        return self._book.update_asset(asset_id, change, participant=owner)

    def disable_asset(self, caller: Principal, asset_id: str) -> Asset:
        owner = self._book.asset(asset_id).owner
        check_can_write(caller, owner)
        return self._book.disable_asset(asset_id, participant=owner)

    def enable_asset(self, caller: Principal, asset_id: str) -> Asset:
        owner = self._book.asset(asset_id).owner
        check_can_write(caller, owner)
        return self._book.enable_asset(asset_id, participant=owner)

    def remove_asset(self, caller: Principal, asset_id: str) -> Asset:
        owner = self._book.asset(asset_id).owner
        check_can_write(caller, owner)
        return self._book.remove_asset(asset_id, participant=owner)

    # -- contracts and settlement ------------------------------------------------------

    def settlement(self, caller: Principal, contract_id: str) -> Settlement:
        settlement = self._settlement.get(contract_id)
        contract = settlement.contract
        check_can_read(caller, contract.provider, Visibility.PRIVATE, parties=[contract.consumer])
        return settlement

    def report_delivery(self, caller: Principal, contract_id: str) -> Settlement:
        contract = self._settlement.get(contract_id).contract
        check_can_write(caller, contract.provider, parties=[contract.consumer])
        assert caller.participant_id is not None  # a writer is always a participant
        return self._settlement.report_delivery(contract_id, caller.participant_id)

    def request_payment(self, caller: Principal, contract_id: str) -> Settlement:
        contract = self._settlement.get(contract_id).contract
        check_can_write(caller, contract.provider)
        return self._settlement.request_payment(contract_id)

    def report_payment(self, caller: Principal, contract_id: str, message_id: bytes) -> Settlement:
        """The consumer's agent paid on the ledger itself and names the message; only the
        consumer may say so (a provider reporting it would vouch for money it receives)."""
        contract = self._settlement.get(contract_id).contract
        check_can_write(caller, contract.consumer)
        return self._settlement.record_payment(contract_id, message_id)

    # -- the marketplace's own jobs ----------------------------------------------------

    # -- held payments (the marketplace's own arbiter, never a participant's request) ------

    def hold_payment(self, contract_id: str, until_ms: int) -> Settlement:
        """The contract's payment is held for delivery with the marketplace as arbiter."""
        return self._settlement.hold_payment(contract_id, until_ms)

    def settle_held(self, contract_id: str, payment: PreparedPayment | None) -> Settlement:
        """The marketplace, as arbiter, settled the contract's held payment: ``payment`` is
        its settlement (what the provider got), None a refund."""
        return self._settlement.settle_held(contract_id, payment)

    def run_periodic(self) -> SweepReport:
        """Expire orders, clear periodic auctions, confirm payments, apply deadlines; send the
        twins that waited."""
        self._book.expire_orders()
        self._desk.open(self._book.clear())
        self._settlement.confirm_payments()
        report = self._settlement.sweep()
        self._book.sync_twins()  # order twins held back (the node was down) go now
        if self._twins is not None:
            self._twins.flush()
        return report

    def reconcile(self) -> int:
        """Open a contract for every journaled match: recovers a crash between the two;
        then bring lagging settlement twins up to date."""
        contracts = self._desk.open(self._journaled_matches())
        if self._twins is not None:
            self._twins.catch_up(self._settlement.get(c.match.id) for c in contracts)
            self._twins.flush()
        return len(contracts)

    def _journaled_matches(self) -> Iterator[Match]:
        for entry in self._journal.entries():
            yield from entry.matches()

    def audit_settlements(self, caller: Principal, contract_ids: list[str]) -> list[Settlement]:
        check_can_audit(caller)
        return [self._settlement.get(contract_id) for contract_id in contract_ids]
