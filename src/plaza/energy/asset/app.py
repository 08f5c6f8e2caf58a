"""The asset module as a service: its HTTP endpoints, its adapters, and how they are wired.

:func:`open_asset` is the composition root of one device: its keys
(``asset.key``), its database (``energy_broker.sqlite3``, which also keeps the
twins' channel cursors), its twins on the ledger, its outbox, its payments on
the ledger (Plaza's :class:`~plaza.market.ledger_payments.LedgerPayments`,
funded by the owner through :class:`OwnerFunder`) and the FastAPI app.

Endpoints are the seed's (``POST``, ``{success, error}``): ``/init``,
``/produce``, ``/consume`` in plain JSON; ``/contract``, ``/payment``,
``/payment_sent``, ``/payment_confirmed``, ``/cancel``, ``/claim`` as sealed
letters from the marketplace. ``GET /health``, ``/status``, ``/transactions``
and ``/transactions/{id}/events`` show the device, never a secret.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI

from plaza.channels.cursors import SqliteCursorStore
from plaza.crypto import Address, Identity, SigningKey
from plaza.energy.asset.config import AssetConfig, AssetSettings, Clock
from plaza.energy.asset.module import AssetModule
from plaza.energy.asset.payments import MESSAGE_ID
from plaza.energy.asset.store import DB_NAME, SqliteAssetStore
from plaza.energy.envelope import ModuleKey, seal_letter
from plaza.energy.errors import UnknownRecord
from plaza.energy.http.replies import install_replies, json_object, post_route
from plaza.energy.keys import load_or_create
from plaza.energy.ledger import LedgerAccess
from plaza.energy.link import Link, Outbox, Refusal
from plaza.energy.nonces import NONCES_FILE, SqliteNonces
from plaza.energy.twins import Twins, parse_reader_key, read_twin
from plaza.jobs import Handler, JobQueue
from plaza.ledger.model import TransferPayload
from plaza.market.ledger_payments import (
    DeviceAccount,
    Funding,
    LedgerPayments,
    check_ledger_payment,
)
from plaza.market.settlement import Contract, PaymentFailed, PaymentStatus, PreparedPayment

__all__ = ["AssetService", "LedgerPaymentPort", "OwnerFunder", "build_app", "open_asset"]

KEY_FILE = "asset.key"
LETTERS = ("/contract", "/payment", "/payment_sent", "/payment_confirmed", "/cancel", "/claim")
_UUID = "ba4a33f0-ee20-41e4-9fcd-9f91ecf77d0f"
INIT_EXAMPLE = {
    "uuid": _UUID, "assetId": "sTm6NSC9XUiJD3Vx", "assetName": "energy-producer-XYZ",
    "assetDescription": "Device model XYZ, type ABC", "type": "provider",
    "assetOwner": "SpXe6LkNNHSbidheZKzDLzq5ZQ33", "network": "devnet", "location": "Berlin",
    "url": "https://device.example:7001", "marketplaceAPI": "https://marketplace.example",
    "assetOwnerAPI": "https://owner.example", "marketplacePublicKey": "ed25519:<hex>/x25519:<hex>",
    "assetOwnerPublicKey": "ed25519:<hex>/x25519:<hex>", "status": "running",
    "minOfferAmount": 200, "energyPrice": 150, "maxEnergyPrice": 200,
    "offerValidityMs": 86_400_000, "maxWaitMs": 3_600_000,
    "paymentQueueProcessingSpeed": 5000, "provisionMs": 0,
}  # fmt: skip


class OwnerFunder:
    """:class:`~plaza.market.ledger_payments.Funder` by a sealed ``/fund`` letter to the owner.

    The owner's reply names the funding transfer; what counts is what that transfer
    credits this wallet on the ledger, not what the reply says. The letter carries the
    ``reference`` of the need it funds (the same in every retry of that need), and the
    owner pays each reference once: a letter retried after a lost reply gets the
    transfer already made instead of a second one.
    """

    #: What the owner accepts as a ``/fund`` reference (``assetId:recordId`` fits).
    REFERENCE = re.compile(r"[A-Za-z0-9_.:-]{1,128}")

    def __init__(
        self, *, link: Link, ledger: LedgerAccess, identity: Identity,
        config: Callable[[], AssetConfig], clock: Clock, balance: Callable[[], int],
    ) -> None:  # fmt: skip
        self._link = link
        self._ledger = ledger
        self._identity = identity
        self._config = config
        self._clock = clock
        self._balance = balance

    def fund(self, payee: Address, amount: int, *, reference: str) -> list[Funding]:
        if not self.REFERENCE.fullmatch(reference):
            raise PaymentFailed(reference, "the reference is not 1 to 128 of A-Z a-z 0-9 _ . : -")
        config = self._config()
        body = {"assetId": config.asset_id, "type": str(config.type), "amount": amount,
                "walletAddress": str(payee), "balance": self._balance(),
                "reference": reference}  # fmt: skip
        document = seal_letter(body, sender=config.asset_id, identity=self._identity,
                               recipient=config.owner_key, audience=config.asset_owner,
                               now_ms=self._clock.now_ms())  # fmt: skip
        reply = self._link.post(config.owner_api, "/fund", document)
        message_id = reply.get("messageId")
        if not isinstance(message_id, str) or not MESSAGE_ID.fullmatch(message_id):
            raise PaymentFailed(reference, "the owner's /fund reply names no messageId")
        message = self._ledger.transfers.message(bytes.fromhex(message_id))
        if message is None or not isinstance(message.payload, TransferPayload):
            raise PaymentFailed(reference, f"the funding {message_id} is not on the ledger")
        credited = sum(o.amount for o in message.payload.outputs if o.address == payee.raw)
        if credited <= 0:
            raise PaymentFailed(reference, f"the funding {message_id} pays this wallet nothing")
        return [Funding(message.id, credited, message.issued_at_ms)]


class LedgerPaymentPort:
    """The asset's :class:`~plaza.energy.asset.payments.PaymentPort` on the real ledger."""

    def __init__(self, ledger: LedgerAccess, wallet_key: SigningKey, funder: OwnerFunder) -> None:
        self._ledger = ledger
        self._device = DeviceAccount(wallet_key, funder)
        self._payments = LedgerPayments(ledger.transfers, [self._device])

    def balance(self) -> int:
        return self._ledger.transfers.balance(self._device.address).amount

    def available(self) -> int:
        return self._payments.available(self._device.participant_id)

    def fund(self, amount: int, *, reference: str) -> None:
        self._payments.fund(self._device.participant_id, amount, reference=reference)

    def prepare(self, contract: Contract) -> PreparedPayment:
        return self._payments.prepare(contract)

    def submit(self, payment: PreparedPayment) -> None:
        self._payments.submit(payment)

    def status(self, payment: PreparedPayment) -> PaymentStatus:
        return self._payments.status(payment)

    def received(self, contract: Contract, message_id: bytes) -> bool:
        message = self._ledger.transfers.message(message_id)
        if message is None:
            return False  # not (yet) on this node: look again next cycle
        check_ledger_payment(contract, message_id, message)
        return self._ledger.confirmed(message_id)


def build_app(module: AssetModule, store: SqliteAssetStore) -> FastAPI:
    """The device's HTTP face."""
    app = FastAPI(title="Plaza energy asset module", version="1",
                  summary="One energy device: its pool, offers or requests, contracts and "
                  "payments, in the energy seed's protocol.")  # fmt: skip
    install_replies(app)
    router = APIRouter()

    def plain(action: Callable[[Mapping[str, Any]], Mapping[str, Any] | None]) -> Any:
        return lambda body: action(json_object(body))

    post_route(router, "/init", plain(module.initialise), summary="Configure the device",
               sealed=False, example=INIT_EXAMPLE)  # fmt: skip
    for path, action in (("/produce", module.produce), ("/consume", module.consume)):
        post_route(router, path, plain(action), summary=f"Energy {path[1:]}d (Wh)",
                   sealed=False, example={"energy": 300, "uuid": _UUID})  # fmt: skip
    for path in LETTERS:
        post_route(router, path, functools.partial(module.receive, path),
                   summary=f"Letter from the marketplace: {path[1:]}")  # fmt: skip

    _read_routes(router, module, store)
    app.include_router(router)
    return app


def _read_routes(router: APIRouter, module: AssetModule, store: SqliteAssetStore) -> None:
    """The GET views: the device's state for dashboards and tests, never a secret."""

    @router.get("/health")
    def health() -> dict[str, Any]:
        return {"success": True}

    @router.get("/status")
    def status() -> dict[str, Any]:
        pool = store.pool()
        config = module.config if module.configured else None
        return {
            "success": True, "configured": config is not None,
            "assetId": config.asset_id if config else "",
            "type": str(config.type) if config else "",
            "status": str(config.status) if config else "",
            "pool": pool.energy, "reserved": pool.reserved, "available": pool.available,
            "walletAddress": module.wallet_address, "publicKey": module.public_key.to_text(),
            "transactions": store.counts(),
        }  # fmt: skip

    @router.get("/transactions")
    def transactions() -> dict[str, Any]:
        records = [{"id": r.id, "createdAt": r.created_ms, "transaction": r.state.to_json()}
                   for r in store.records()]  # fmt: skip
        return {"success": True, "transactions": records}

    @router.get("/transactions/{record_id}/events")
    def events(record_id: str) -> dict[str, Any]:
        if store.record(record_id) is None:
            raise UnknownRecord(f"no transaction {record_id!r} on this asset")
        return {"success": True, "events": store.events(record_id)}


class AssetService:
    """One running device: ``app``, ``key``, ``module``, ``wallet_address``, jobs, cycle."""

    def __init__(
        self, *, module: AssetModule, store: SqliteAssetStore, cursors: SqliteCursorStore,
        outbox: Outbox, app: FastAPI, key: ModuleKey, wallet_address: str,
    ) -> None:  # fmt: skip
        self.module = module
        self.store = store
        self.app = app
        self.key = key
        self.wallet_address = wallet_address
        self._cursors = cursors
        self._outbox = outbox

    def handlers(self) -> dict[str, Handler]:
        """Job name → handler: the outbox's letter delivery."""
        return dict(self._outbox.handlers())

    def cycle(self) -> None:
        self.module.cycle()

    def close(self) -> None:
        self.store.close()
        self._cursors.close()


def open_asset(
    data_dir: Path, *, uuid: str, ledger: LedgerAccess, link: Link, queue: JobQueue,
    clock: Clock, settings: AssetSettings | None = None,
) -> AssetService:  # fmt: skip
    """Open (or create) the device kept in ``data_dir``; ``uuid`` is its owner's secret."""
    keys = load_or_create(data_dir / KEY_FILE)
    wallet_address = str(keys.wallet_key.public_key.address)
    store = SqliteAssetStore(data_dir / DB_NAME)
    cursors = SqliteCursorStore(data_dir / DB_NAME)
    twins = Twins(identity=keys.identity, gateway=ledger.channels, cursors=cursors, index=store,
                  clock=clock)  # fmt: skip

    def first_twin_state(record_id: str) -> Mapping[str, Any] | None:
        key = parse_reader_key(twins.reader_key(record_id))
        entries, problems = read_twin(ledger.channels, key, keys.identity.public_key,
                                      ledger.confirmed)  # fmt: skip
        return entries[0].state if entries and not problems else None

    def wallet_balance() -> int:
        return port.balance()

    def refused(refusal: Refusal) -> None:
        store.log("letter_refused", f"{refusal.url}{refusal.path}: {refusal.reason}",
                  now_ms=clock.now_ms(), ok=False)  # fmt: skip

    outbox = Outbox(queue, link, sender=lambda: module.config.asset_id,
                    identity=lambda: keys.identity, clock=clock, on_refused=refused)  # fmt: skip
    funder = OwnerFunder(link=link, ledger=ledger, identity=keys.identity,
                         config=lambda: module.config, clock=clock,
                         balance=wallet_balance)  # fmt: skip
    port = LedgerPaymentPort(ledger, keys.wallet_key, funder)
    module = AssetModule(uuid=uuid, identity=keys.identity, wallet_address=wallet_address,
                         store=store, twins=twins, first_twin_state=first_twin_state,
                         letters=outbox, payments=port, clock=clock, settings=settings,
                         nonces=SqliteNonces(data_dir / NONCES_FILE))  # fmt: skip
    return AssetService(module=module, store=store, cursors=cursors, outbox=outbox,
                        app=build_app(module, store), key=ModuleKey.of(keys.identity),
                        wallet_address=wallet_address)  # fmt: skip
