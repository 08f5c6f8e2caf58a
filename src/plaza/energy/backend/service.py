"""The marketplace backend's use cases: registration, offers and requests, contracts
(:mod:`.contracts`), and the relay of each contract's settlement between its two parties
(:mod:`.relay`, on the market's settlement lifecycle).

The seed's marketplace is a trusted middleman nobody can check afterwards. Here
every letter it takes is from a key it knows, every offer or request is compared
with the asset's own digital twin before it is believed, and every state of a
contract it accepts or sends goes on the contract's twin, signed by the
marketplace, so :meth:`EnergyMarketplace.audit` (or anyone with the reader keys) can
hold the database against the ledger.

A step runs as *load, check, store, then send*: records and events (every state
received or sent, per record) change in one store transaction; letters leave
through the outbox afterwards under keys derived from the stored events, so a
sender retrying a letter it got no answer to gets the same letters sent again,
not new ones; twin entries are written after the commit, and
:meth:`EnergyMarketplace.flush_twins` retries those the ledger could not take.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from plaza.channels import CursorStore
from plaza.crypto import Identity, PublicKey
from plaza.energy.backend.contracts import EnergyContractDesk
from plaza.energy.backend.journal import Journal
from plaza.energy.backend.keeper import TwinKeeper
from plaza.energy.backend.model import (
    AssetRecord,
    ContractAudit,
    MarketplaceSettings,
    TransactionRecord,
    check_new_transaction,
    parse_asset,
    seed_bid,
)
from plaza.energy.backend.onboarding import Onboarding
from plaza.energy.backend.ports import Clock, MarketplaceStore, PaymentCheck
from plaza.energy.backend.relay import SettlementRelay
from plaza.energy.envelope import (
    Letter,
    ModuleKey,
    open_letter,
)
from plaza.energy.errors import (
    EnergyError,
    EnergyForbidden,
    InvalidMessage,
    NotAuthenticated,
    UnknownRecord,
    WrongState,
)
from plaza.energy.ledger import LedgerAccess
from plaza.energy.link import LetterSender
from plaza.energy.model import STATUS_OF_PHASE, Transaction, TransactionStatus, TransactionType
from plaza.energy.peers import BIDMANAGER, MARKETPLACE, USER_MODULE, Peer
from plaza.energy.reads import open_read
from plaza.energy.twins import parse_reader_key
from plaza.market.auth import MemoryNonceStore, NonceStore
from plaza.market.settlement import SettlementPolicy
from plaza.market.twins.records import TwinAudit

__all__ = ["EnergyMarketplace"]


class EnergyMarketplace:
    """The marketplace backend: letters in, checked, stored, put on twins, letters out."""

    def __init__(
        self,
        *,
        identity: Identity,
        store: MarketplaceStore,
        outbox: LetterSender,
        cursors: CursorStore,
        ledger: LedgerAccess,
        payments: PaymentCheck,
        clock: Clock,
        bidmanager: Peer,
        settings: MarketplaceSettings | None = None,
        nonces: NonceStore | None = None,
        onboarding: Onboarding | None = None,
    ) -> None:
        self._identity = identity
        self._store = store
        self._twins = TwinKeeper(
            identity=identity, store=store, cursors=cursors, ledger=ledger, clock=clock
        )
        self._settings = settings or MarketplaceSettings()
        self._nonces = nonces or MemoryNonceStore()
        self._lock = threading.RLock()
        self._journal = Journal(
            store=store, outbox=outbox, twins=self._twins, bidmanager=bidmanager, clock=clock
        )
        self._contracts, self._relay = self._desks(bidmanager, payments)
        self._onboarding = onboarding  # the owner rules; None: no user module to ask

    def _desks(
        self, bidmanager: Peer, payments: PaymentCheck
    ) -> tuple[EnergyContractDesk, SettlementRelay]:
        """What follows a match: the contract it makes and the relay of its settlement, under
        one settlement policy (the marketplace's time to pay)."""
        policy = SettlementPolicy(max_wait_ms=self._settings.payment_wait_ms)
        contracts = EnergyContractDesk(
            identity=self._identity,
            store=self._store,
            journal=self._journal,
            bidmanager=bidmanager,
            nonces=self._nonces,
            settings=self._settings,
            policy=policy,
        )
        relay = SettlementRelay(
            store=self._store, journal=self._journal, payments=payments, policy=policy
        )
        return contracts, relay

    @property
    def key(self) -> ModuleKey:
        return ModuleKey.of(self._identity)

    # -- letters --------------------------------------------------------------------

    def register(self, document: bytes) -> dict[str, Any]:
        """An asset's first registration introduces its key; later ones must be signed by it."""
        self._run("register", lambda: self._register(document))
        return {}

    def offer(self, document: bytes) -> dict[str, Any]:
        self._run("offer", lambda: self._intake(document, TransactionType.OFFER))
        return {}

    def request(self, document: bytes) -> dict[str, Any]:
        self._run("request", lambda: self._intake(document, TransactionType.REQUEST))
        return {}

    def match(self, document: bytes) -> dict[str, Any]:
        """A pair from the bid manager: the contract (made once per pair), sent to both."""
        return {"contractId": self._run("match", lambda: self._contracts.match(document))}

    def settle(self, path: str, document: bytes) -> dict[str, Any]:
        """``/provision``, ``/payment_processing``, ``/payment_confirmation``, ``/reminder``,
        ``/cancel`` and ``/claim``: one party's step, relayed to the other party."""
        self._run(path.strip("/"), lambda: self._settle(path, document))
        return {}

    def contract_status(self, contract_id: str) -> TransactionStatus:
        """Where a contract stands: its settlement's phase, in the seed's words."""
        record = self._store.contract(contract_id)
        if record is None:
            raise UnknownRecord(f"no contract {contract_id!r}")
        with self._lock:
            return STATUS_OF_PHASE[self._relay.settlement(record).phase]

    def _settle(self, path: str, document: bytes) -> str:
        letter, asset = self._from_asset(document)
        received = Transaction.from_json(letter.body.get("transaction"))
        return self._relay.settle(path, asset, received)

    # -- letters from the user module (plaza.energy.backend.onboarding) --------------

    def asset_status(self, document: bytes) -> dict[str, Any]:
        """``/asset_status``: a device runs, is paused or deleted; a deleted asset's open
        offers and requests are cancelled and leave the bid manager's book."""
        self._run("asset_status", lambda: self._asset_status(document))
        return {}

    def unpaid(self, document: bytes) -> dict[str, Any]:
        """``/unpaid``: the user module asks which contracts a consumer has to pay."""
        return self._owner_rules().unpaid(document)

    def _asset_status(self, document: bytes) -> str:
        standing, withdrawn = self._owner_rules().receive_status(document)
        for record in withdrawn:
            self._withdraw(record)
        return f"asset:{standing.asset_id}"

    def _withdraw(self, record: TransactionRecord) -> None:
        """Cancel an open bid of a deleted asset and remove it from the bid manager."""
        cancelled = record.latest.with_status(
            TransactionStatus.CANCELLED, timestamp_ms=self._journal.now()
        )
        told = {"status": "deleted"}
        self._relay.withdraw(record, cancelled, party=USER_MODULE, path="/asset_status", told=told)

    def _owner_rules(self) -> Onboarding:
        if self._onboarding is None:
            raise EnergyForbidden("this marketplace knows no user module")
        return self._onboarding

    # -- periodic work and reads ----------------------------------------------------

    def flush_twins(self) -> int:
        """Write the states still missing from their twins, in order; how many went."""
        with self._lock:
            return self._twins.flush(
                lambda record, why: self._journal.log("twin", record, "retry", why)
            )

    def authorise_audit(self, document: str | None, path: str) -> None:
        """Let the operator (a letter signed with this marketplace's key) or a listed auditor
        read ``path`` (:mod:`plaza.energy.reads`); anyone else is refused."""
        readers = {MARKETPLACE: self.key, **self._settings.auditors}
        open_read(
            document,
            path,
            identity=self._identity,
            audience=MARKETPLACE,
            now_ms=self._journal.now(),
            nonces=self._nonces,
            known_key=lambda sender: readers[sender].signing if sender in readers else None,
        )

    def audit(self, contract_id: str) -> ContractAudit:
        """The contract's twin, and each party's transaction twin, against this database."""
        self.flush_twins()
        record = self._store.contract(contract_id)
        if record is None:
            raise UnknownRecord(f"no contract {contract_id!r}")
        return self._twins.audit(record)

    def audit_transaction(self, side: TransactionType, transaction_id: str) -> TwinAudit:
        """An offer's or request's own twin against this database (before any contract)."""
        self.flush_twins()
        record = self._store.transaction(side, transaction_id)
        if record is None:
            raise UnknownRecord(f"no {side} {transaction_id!r}")
        return self._twins.audit_transaction(record)

    def statistics(self) -> dict[str, int]:
        return self._store.statistics()

    # -- registration and intake ----------------------------------------------------

    def _register(self, document: bytes) -> str:
        letter = self._open(document, introduce=True)
        asset = parse_asset(letter.body.get("asset"))
        if asset.asset_id != letter.sender:
            raise InvalidMessage("the letter's sender must be the assetId it registers")
        if asset.key.signing != letter.key:
            raise NotAuthenticated("publicKey is not the key that signed the letter")
        if self._onboarding is not None:
            self._onboarding.check_registration(asset)
        self._store.save_asset(asset, now_ms=self._journal.now())
        return asset.asset_id

    def _intake(self, document: bytes, side: TransactionType) -> str:
        letter, asset = self._from_asset(document)
        if self._onboarding is not None:
            self._onboarding.check_trading(asset.asset_id)
        transaction = Transaction.from_json(letter.body.get("transaction"))
        twin = letter.body.get("twin")
        reader = parse_reader_key(twin)
        if transaction.type is not side:
            raise InvalidMessage(f"/{side} takes transactions of type {str(side)!r}")
        check_new_transaction(transaction, asset)
        if side is TransactionType.REQUEST:
            self._check_not_excluded(asset.asset_id)
        record = TransactionRecord(transaction, transaction, str(twin))
        known = self._store.transaction(side, transaction.id)
        if known is not None:
            if known.first != transaction or known.twin != twin:
                raise WrongState(f"{side} {transaction.id!r} was received before, differently")
            self._journal.resend(known.record_id, asset.asset_id, f"/{side}", transaction.to_json())
            return known.record_id
        self._twins.check_first_state(reader, asset, transaction)
        with self._store.atomic():
            self._store.save_transaction(record, now_ms=self._journal.now())
            cause = self._journal.event(
                record.record_id, "in", asset.asset_id, f"/{side}", transaction.to_json()
            )
            sent = self._journal.event(
                record.record_id,
                "out",
                BIDMANAGER,
                f"/{side}",
                seed_bid(transaction),
                cause=cause.id,
            )
        self._journal.send(sent)
        return record.record_id

    def _check_not_excluded(self, consumer: str) -> None:
        if (exclusion := self._contracts.exclusion(consumer)) is not None:
            raise EnergyForbidden(exclusion)

    # -- internals ------------------------------------------------------------------

    def _run(self, operation: str, action: Callable[[], str]) -> str:
        """Run a step under the lock and log it, done or refused; then write its twin states."""
        with self._lock:
            try:
                record_id = action()
            except EnergyError as error:
                self._journal.log(operation, "", "refused", f"{error.code}: {error.message}")
                raise
            self._journal.log(operation, record_id, "ok", "")
        self.flush_twins()
        return record_id

    def _from_asset(self, document: bytes) -> tuple[Letter, AssetRecord]:
        letter = self._open(document)
        asset = self._store.asset(letter.sender)
        assert asset is not None  # the letter was opened with its key
        return letter, asset

    def _open(self, document: bytes, *, introduce: bool = False) -> Letter:
        """A letter from a registered asset, checked; ``introduce``: or from a new one (its
        registration, signed by the key it registers)."""

        def asset_key(sender: str) -> PublicKey | None:
            asset = self._store.asset(sender)
            return None if asset is None else asset.key.signing

        return open_letter(
            document,
            identity=self._identity,
            audience=MARKETPLACE,
            now_ms=self._journal.now(),
            nonces=self._nonces,
            known_key=asset_key,
            introduce=introduce,
        )
