"""One device's part in the energy marketplace: its pool, its transactions, its letters.

The seed's asset module, as use cases over ports (no web, no SQL here):

* the device's plain endpoints: :meth:`AssetModule.initialise` (``/init``),
  :meth:`~AssetModule.produce` and :meth:`~AssetModule.consume`, each accepted only
  with the device's UUID (compared in constant time);
* letters from the marketplace (:meth:`~AssetModule.receive`): ``/contract``,
  ``/payment``, ``/payment_sent``, ``/payment_confirmed``, ``/cancel``, ``/claim``;
* the periodic work (:meth:`~AssetModule.cycle`): provision, payments
  (:class:`~plaza.energy.asset.payments.Cashier`), reminders and the claim,
  cancellations, and new offers or requests for what the pool holds or lacks
  (:class:`~plaza.energy.asset.trading.Trader`, which takes contracts and cancellations too).

Every state change goes through :meth:`AssetModule.commit`: the state is
signed onto the transaction's twin first (a ledger failure changes nothing and
is retried), then stored with its event, the pool and the queue in one database
transaction, then its letters are written (to the marketplace and the owner's
``/notify_event``). One lock serialises the device's changes, and the letters
are queued only once it is released: a queue that delivers at once, to a peer
that answers at once, must find the device free to take the answer.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from plaza.crypto import Identity
from plaza.energy.asset.config import AssetConfig, AssetSettings, Change, OwnTransaction
from plaza.energy.asset.letters import (
    LETTER_STATUS,
    ONLY_FOR,
    HeldLetters,
    own_record,
    received_transaction,
    registration,
)
from plaza.energy.asset.paying import UNPAID
from plaza.energy.asset.payments import Cashier
from plaza.energy.asset.ports import (
    AssetStore,
    Clock,
    FirstTwinState,
    TwinRecorder,
)
from plaza.energy.asset.trading import INITIAL, Trader
from plaza.energy.envelope import ModuleKey, open_letter
from plaza.energy.errors import (
    EnergyError,
    EnergyForbidden,
    InvalidMessage,
    NotConfigured,
    UnknownRecord,
    WrongState,
)
from plaza.energy.link import LetterSender
from plaza.energy.model import (
    MAX_ENERGY_WH,
    AssetType,
    EnergyContract,
    Transaction,
    TransactionStatus,
)
from plaza.energy.peers import MARKETPLACE
from plaza.energy.reads import open_read
from plaza.market.auth import MemoryNonceStore, NonceStore
from plaza.market.settlement import Payments

__all__ = ["AssetModule"]

log = logging.getLogger(__name__)

#: The money letters, each a step of the asset's :class:`Cashier`.
_MONEY: dict[str, Callable[[Cashier, AssetConfig, OwnTransaction, Transaction], None]] = {
    "/payment": Cashier.on_payment,
    "/payment_sent": Cashier.on_payment_sent,
    "/payment_confirmed": Cashier.on_confirmed,
    "/claim": Cashier.on_claim,
}


class AssetModule:
    """The asset's use cases; every public method is safe to call from any thread."""

    def __init__(
        self,
        *,
        uuid: str,
        identity: Identity,
        wallet_address: str,
        store: AssetStore,
        twins: TwinRecorder,
        first_twin_state: FirstTwinState,
        letters: LetterSender,
        payments: Payments,
        clock: Clock,
        settings: AssetSettings | None = None,
        nonces: NonceStore | None = None,
    ) -> None:
        if not uuid:
            raise ValueError("the device needs a uuid")
        self._uuid = uuid.encode()
        self._identity = identity
        self.wallet_address = wallet_address
        self._store = store
        self._twins = twins
        self._held = HeldLetters(letters)
        self._clock = clock
        self.settings = settings or AssetSettings()
        self._nonces = nonces or MemoryNonceStore()
        stored = store.load_config()
        self._config = None if stored is None else AssetConfig.from_init(stored)
        self._cashier = Cashier(
            self,
            store,
            payments,
            wallet=wallet_address,
            twin_state=first_twin_state,
            clock=clock,
            settings=self.settings,
        )
        self._trader = Trader(
            self, store, wallet=wallet_address, settings=self.settings, clock=clock
        )

    @property
    def config(self) -> AssetConfig:
        if self._config is None:
            raise NotConfigured("the asset is not initialised yet (POST /init)")
        return self._config

    @property
    def configured(self) -> bool:
        return self._config is not None

    @property
    def public_key(self) -> ModuleKey:
        return ModuleKey.of(self._identity)

    # the device's plain endpoints

    def initialise(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``/init``: configure (or reconfigure) and register with the marketplace."""
        with self._refusals("init"):
            self._check_uuid(body)
            with self._held.changing():
                config = AssetConfig.from_init(body, self._config)
                self._store.save_config(config.to_json(), now_ms=self._now())
                self._config = config
                self._register(config)
        return {"publicKey": self.public_key.to_text(), "walletAddress": self.wallet_address}

    def produce(self, body: Mapping[str, Any]) -> None:
        """``/produce``: the pool grows; a full offer goes out if enough is free."""
        self._add_energy(body, AssetType.PROVIDER, "produce")

    def consume(self, body: Mapping[str, Any]) -> None:
        """``/consume``: the pool shrinks; a request goes out if too little is left."""
        self._add_energy(body, AssetType.CONSUMER, "consume")

    def _add_energy(self, body: Mapping[str, Any], kind: AssetType, operation: str) -> None:
        with self._refusals(operation):
            self._check_uuid(body)
            energy = body.get("energy")
            if isinstance(energy, bool) or not isinstance(energy, int):
                raise InvalidMessage("energy must be an integer number of Wh")
            if not 0 < energy <= MAX_ENERGY_WH:
                raise InvalidMessage(f"energy must be between 1 and {MAX_ENERGY_WH} Wh")
            with self._held.changing():
                config = self.config
                if config.type is not kind:
                    raise WrongState(f"/{operation} is for a {kind}; this asset is a {config.type}")
                sign = 1 if kind is AssetType.PROVIDER else -1
                self._store.add_energy(sign * energy, now_ms=self._now(), operation=operation)
                if config.running:  # the energy is counted; a failed offer is the cycle's to retry
                    self._safely("top_up", lambda: self._trader.top_up(config))

    def _check_uuid(self, body: Mapping[str, Any]) -> None:
        given = body.get("uuid")
        if not isinstance(given, str) or not hmac.compare_digest(given.encode(), self._uuid):
            raise EnergyForbidden("the uuid is not this device's")

    def authorise_read(self, document: str | None, path: str) -> None:
        """Let the device's owner read ``path`` (:mod:`plaza.energy.reads`); anyone else is
        refused, as is everyone before ``/init`` names the owner."""
        config = self.config
        open_read(
            document,
            path,
            identity=self._identity,
            audience=config.asset_id,
            now_ms=self._now(),
            nonces=self._nonces,
            known_key=lambda sender: (
                config.owner_key.signing if sender == config.asset_owner else None
            ),
        )

    # letters from the marketplace

    def receive(self, path: str, document: bytes) -> None:
        """Open a letter from the marketplace and act on it; a refusal changes nothing."""
        if path not in LETTER_STATUS:
            raise UnknownRecord(f"the asset receives no letters at {path}")
        with self._refusals(path.lstrip("/")), self._held.changing():
            config = self.config
            only = ONLY_FOR.get(path)
            letter = open_letter(
                document,
                identity=self._identity,
                audience=config.asset_id,
                now_ms=self._now(),
                nonces=self._nonces,
                known_key=lambda sender: (
                    config.marketplace_key.signing if sender == MARKETPLACE else None
                ),
            )
            if only is not None and config.type is not only:
                raise EnergyForbidden(f"{path} is for a {only}; this asset is a {config.type}")
            if path == "/contract":
                self._trader.on_contract(config, letter.body)
                return
            received = received_transaction(letter.body, path)
            cancel = path == "/cancel"  # a record may be cancelled before its contract
            record = own_record(self._store, config, received, contract=not cancel)
            if cancel:
                self._trader.on_cancel(config, record)
            else:
                _MONEY[path](self._cashier, config, record, received)

    # the periodic work

    def cycle(self) -> None:
        """Everything due now; idempotent, and a no-op before /init or while paused."""
        with self._held.changing():
            self._twins.flush()  # states saved while the ledger was away go first
            config = self._config
            if config is None or not config.running:
                return
            now = self._now()
            for record in self._store.records([TransactionStatus.CONTRACT_CREATED]):
                if now - record.idle_since_ms >= config.provision_ms:
                    self._guarded("provision", record, lambda r: self.provide(config, r))
                elif now - record.idle_since_ms > config.max_wait_ms:
                    self._guarded("cancel", record, lambda r: self._trader.cancel(config, r))
            for record in self._store.records(INITIAL):
                if now - record.created_ms >= config.offer_validity_ms:
                    self._guarded("cancel", record, lambda r: self._trader.cancel(config, r))
            self._safely("payments", lambda: self._cashier.run(config))  # confirm before chasing
            for record in self._store.records(UNPAID):
                if now - record.idle_since_ms >= config.max_wait_ms:
                    self._guarded("unpaid", record, lambda r: self._cashier.chase(config, r))
            self._safely("top_up", lambda: self._trader.top_up(config))

    def _guarded(
        self, operation: str, record: OwnTransaction, action: Callable[[OwnTransaction], object]
    ) -> None:
        """Run one record's step on its fresh state; a failure is logged and retried later."""
        fresh = self._store.record(record.id)
        if fresh is not None and fresh.state.status is record.state.status:
            self._safely(operation, lambda: action(fresh), record_id=record.id)

    def _safely(self, operation: str, action: Callable[[], object], record_id: str = "") -> None:
        try:
            action()
        except Exception as error:  # one step must not stop the others; retried next cycle
            log.warning("%s %s failed: %s", operation, record_id, error)
            self._store.log(
                operation,
                f"failed, retried next cycle: {error}",
                now_ms=self._now(),
                record_id=record_id,
                ok=False,
            )

    def provide(self, config: AssetConfig, record: OwnTransaction) -> OwnTransaction:
        """Energy provision finished: the pool moves, the marketplace hears."""
        amount = record.state.energyAmount
        provider = config.type is AssetType.PROVIDER
        state = record.state.with_status(
            TransactionStatus.PROVISION_FINISHED, timestamp_ms=self._now()
        )
        return self.commit(
            record,
            state,
            operation="provision",
            letter="/provision",
            energy=-amount if provider else amount,
            reserved=-amount if provider else 0,
        )

    # the one way a record changes, and its letters

    def commit(
        self,
        record: OwnTransaction,
        state: Transaction,
        *,
        operation: str,
        letter: str | None = None,
        queue: bool | None = None,
        energy: int = 0,
        reserved: int = 0,
        contract: EnergyContract | None = None,
        claimed: bool = False,
    ) -> OwnTransaction:
        """Twin first, then the database, then the letters (see the module docstring)."""
        with self._held.changing():
            updated = replace(
                record,
                state=state,
                idle_since_ms=self._now(),
                contract=contract or record.contract,
                claimed=record.claimed or claimed,
            )
            step = self._twins.record(record.id, state.to_json())
            self._store.apply(
                Change(
                    updated,
                    operation,
                    step.message_id,
                    energy=energy,
                    reserved=reserved,
                    queue=queue,
                )
            )
            self._announce(record.id, state, step.position, letter)
            return updated

    def _announce(self, record_id: str, state: Transaction, at: int, letter: str | None) -> None:
        """A change's letters: ``letter`` to the marketplace, and always the owner's
        ``/notify_event``; keyed by the twin's position ``at``, so a retried change sends
        none twice."""
        twin = self._twins.reader_key(record_id)
        key = f"asset:{self.config.asset_id}:{record_id}:{at}"
        if letter is not None:
            body: dict[str, Any] = {"transaction": state.to_json()}
            if letter in ("/offer", "/request"):
                body["twin"] = twin
            self._to_marketplace(letter, body, key=f"{key}:{letter}")
        config = self.config
        self._held.send(
            path="/notify_event",
            recipient=config.owner_key,
            audience=config.asset_owner,
            key=f"{key}:notify",
            body={"assetId": config.asset_id, "transaction": state.to_json(), "twin": twin},
        )

    def resend(self, record: OwnTransaction, letter: str) -> None:
        """Tell the marketplace the record's latest state again (no state change)."""
        with self._held.changing():
            self._to_marketplace(letter, {"transaction": record.state.to_json()})
            self._store.touch(record.id, now_ms=self._now())
            self._store.log("resend", letter, now_ms=self._now(), record_id=record.id)

    def _to_marketplace(self, path: str, body: Mapping[str, Any], key: str | None = None) -> None:
        config = self.config
        self._held.send(
            path=path,
            recipient=config.marketplace_key,
            audience=MARKETPLACE,
            body=body,
            key=key,
        )

    def _register(self, config: AssetConfig) -> None:
        asset = registration(config, self.public_key.to_text(), self.wallet_address)
        self._to_marketplace("/register", {"asset": asset})

    def _now(self) -> int:
        return self._clock.now_ms()

    @contextmanager
    def _refusals(self, operation: str) -> Iterator[None]:
        """Log every refusal in the seed's log table, then let it answer the caller."""
        try:
            yield
        except EnergyError as error:
            self._store.log(operation, f"refused: {error.message}", now_ms=self._now(), ok=False)
            raise
