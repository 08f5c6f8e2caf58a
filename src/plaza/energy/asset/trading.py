"""Trading before money: the asset's offers and requests, their contracts and cancellations.

A provider offers what its pool holds free (at least ``minOfferAmount``), a consumer
requests ``minOfferAmount`` at a time while its pool and pending requests fall short
(:meth:`Trader.top_up`); an offer reserves its energy until it is provided or
cancelled. The marketplace's ``/contract`` binds an initial offer or request to the
terms it was opened with (:meth:`Trader.on_contract`), releasing what the contract
does not take; a record that waits too long, or a ``/cancel``
(:meth:`Trader.on_cancel`), ends it (:meth:`Trader.cancel`).

What comes after the contract is money (:class:`~plaza.energy.asset.payments.Cashier`).
Like the cashier, the trader changes records only through the asset module's
``commit`` (twin, database, letters), under the module's lock.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from plaza.energy.asset.config import AssetConfig, AssetSettings, OwnTransaction
from plaza.energy.asset.paying import own_payment
from plaza.energy.asset.payments import check_deal
from plaza.energy.asset.ports import AssetStore, Clock
from plaza.energy.envelope import verify_document
from plaza.energy.errors import EnergyForbidden, InvalidMessage, UnknownRecord, WrongState
from plaza.energy.model import (
    MAX_ENERGY_WH,
    AssetType,
    EnergyContract,
    Transaction,
    TransactionStatus,
    TransactionType,
)
from plaza.energy.twins import parse_reader_key

if TYPE_CHECKING:  # the module owns its trader
    from plaza.energy.asset.module import AssetModule

__all__ = ["INITIAL", "Trader", "record_of"]

#: The statuses of an offer or request no contract has taken yet.
INITIAL = (TransactionStatus.INITIAL_OFFER, TransactionStatus.INITIAL_REQUEST)


def record_of(store: AssetStore, record_id: str) -> OwnTransaction:
    """The asset's record ``record_id``; :class:`UnknownRecord` if it has none."""
    record = store.record(record_id)
    if record is None:
        raise UnknownRecord(f"no transaction {record_id!r} on this asset")
    return record


class Trader:
    """Opens, contracts and cancels the asset's offers or requests."""

    def __init__(
        self,
        module: AssetModule,
        store: AssetStore,
        *,
        wallet: str,
        settings: AssetSettings,
        clock: Clock,
    ) -> None:
        self._module = module
        self._store = store
        self._wallet = wallet
        self._settings = settings
        self._clock = clock

    def top_up(self, config: AssetConfig) -> None:
        """Offer what the pool holds free, or request what it lacks (a few at a time)."""
        if config.type is AssetType.PROVIDER:
            available = self._store.pool().available
            if available >= config.min_offer_amount:
                self._open(config, min(available, MAX_ENERGY_WH))
            return
        for _ in range(self._settings.max_new_requests):
            pending = sum(
                r.state.energyAmount
                for r in self._store.records(
                    (TransactionStatus.INITIAL_REQUEST, TransactionStatus.CONTRACT_CREATED)
                )
            )
            if self._store.pool().energy + pending >= config.min_offer_amount:
                return
            self._open(config, config.min_offer_amount)

    def on_contract(self, config: AssetConfig, body: Mapping[str, Any]) -> None:
        """``/contract``: the marketplace's signed contract takes this asset's offer or request."""
        contract = EnergyContract.from_json(
            verify_document(body.get("contract"), config.marketplace_key.signing)
        )
        parse_reader_key(body.get("twin"))
        mine = contract.offer if config.type is AssetType.PROVIDER else contract.request
        if mine.owner != config.asset_id:
            raise EnergyForbidden(f"the contract does not name this asset as the {mine.type}")
        record = record_of(self._store, mine.id)
        if record.contract is not None:
            if record.contract.contractId == contract.contractId:
                return  # delivered before
            raise WrongState(f"{record.id} is already under contract {record.contract.contractId}")
        if record.state.status not in INITIAL:
            raise WrongState(f"{record.id} is {record.state.status}: no contract can start")
        if differing := mine.same_terms(record.state):
            raise InvalidMessage(f"the contract's {mine.type} differs in {', '.join(differing)}")
        deal = contract.transaction
        check_deal(config, record, deal, wallet=self._wallet)
        release = record.state.energyAmount - deal.energyAmount
        state = deal.with_status(
            TransactionStatus.CONTRACT_CREATED, timestamp_ms=self._clock.now_ms()
        )
        self._module.commit(
            record,
            state,
            operation="contract",
            contract=contract,
            reserved=-release if config.type is AssetType.PROVIDER else 0,
        )

    def on_cancel(self, config: AssetConfig, record: OwnTransaction) -> None:
        """``/cancel``: the marketplace ends the record, unless it is paid or being paid
        (a payment prepared may reach the ledger yet); cancelled already, nothing to do."""
        if record.state.status is TransactionStatus.CANCELLED:
            return
        payment = own_payment(self._store, record)
        if record.state.status is TransactionStatus.PAYMENT_CONFIRMED or (
            payment is not None and payment.payment is not None
        ):
            raise WrongState(f"{record.id} is paid or being paid: it cannot be cancelled")
        self.cancel(config, record, letter=None)

    def cancel(
        self, config: AssetConfig, record: OwnTransaction, letter: str | None = "/cancel"
    ) -> None:
        """End the record, releasing an offer's reserve; ``letter`` None: the marketplace
        asked (``/cancel``), so it is not told again."""
        status = record.state.status
        held = config.type is AssetType.PROVIDER and status in (
            *INITIAL,
            TransactionStatus.CONTRACT_CREATED,
        )
        state = record.state.with_status(
            TransactionStatus.CANCELLED, timestamp_ms=self._clock.now_ms()
        )
        self._module.commit(
            record,
            state,
            operation="cancel",
            letter=letter,
            reserved=-record.state.energyAmount if held else 0,
            queue=False,
        )

    def _open(self, config: AssetConfig, amount: int) -> None:
        """A new offer (all that is free) or request (``minOfferAmount``), and its twin."""
        own_id, now = secrets.token_hex(12), self._clock.now_ms()
        if config.type is AssetType.PROVIDER:
            transaction = Transaction(
                TransactionType.OFFER,
                TransactionStatus.INITIAL_OFFER,
                amount,
                config.energy_price,
                str(now),
                providerId=config.asset_id,
                providerTransactionId=own_id,
                walletAddress=self._wallet,
                location=config.location,
            )
        else:
            transaction = Transaction(
                TransactionType.REQUEST,
                TransactionStatus.INITIAL_REQUEST,
                amount,
                config.max_energy_price,
                str(now),
                requesterId=config.asset_id,
                requesterTransactionId=own_id,
                requesterWalletAddress=self._wallet,
                location=config.location,
            )
        provider = config.type is AssetType.PROVIDER
        self._module.commit(
            OwnTransaction(own_id, transaction, now, now),
            transaction,
            operation=f"{transaction.type}",
            letter=f"/{transaction.type}",
            reserved=amount if provider else 0,
        )
