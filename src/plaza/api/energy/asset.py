"""The asset module over HTTP: the seed's endpoints of one device, and the running service.

Endpoints are the seed's (``POST``, ``{success, error}``): ``/init``,
``/produce``, ``/consume`` in plain JSON; ``/contract``, ``/payment``,
``/payment_sent``, ``/payment_confirmed``, ``/cancel``, ``/claim`` as sealed
letters from the marketplace. ``GET /health``, ``/status``, ``/transactions``
and ``/transactions/{id}/events`` show the device, never a secret.

:class:`AssetService` is what :func:`plaza.bootstrap.energy_modules.open_asset`
returns: the app, the device's key and wallet, its jobs and its cycle.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, FastAPI, Request

from plaza.api.docs import serve_docs
from plaza.api.energy.replies import (
    READ_REFUSALS,
    ReadLetter,
    install_replies,
    json_object,
    post_route,
)
from plaza.channels import CursorStore
from plaza.energy.asset.module import AssetModule
from plaza.energy.asset.ports import AssetStore
from plaza.energy.envelope import ModuleKey
from plaza.energy.errors import UnknownRecord
from plaza.energy.link import EnergyOutbox
from plaza.jobs import Handler

__all__ = ["AssetService", "create_asset_app"]

LETTERS = ("/contract", "/payment", "/payment_sent", "/payment_confirmed", "/cancel", "/claim")
_UUID = "ba4a33f0-ee20-41e4-9fcd-9f91ecf77d0f"
INIT_EXAMPLE = {
    "uuid": _UUID,
    "assetId": "sTm6NSC9XUiJD3Vx",
    "assetName": "energy-producer-XYZ",
    "assetDescription": "Device model XYZ, type ABC",
    "type": "provider",
    "assetOwner": "SpXe6LkNNHSbidheZKzDLzq5ZQ33",
    "network": "devnet",
    "location": "Berlin",
    "url": "https://device.example:7001",
    "marketplaceAPI": "https://marketplace.example",
    "assetOwnerAPI": "https://owner.example",
    "marketplacePublicKey": "ed25519:<hex>/x25519:<hex>",
    "assetOwnerPublicKey": "ed25519:<hex>/x25519:<hex>",
    "status": "running",
    "minOfferAmount": 200,
    "energyPrice": 150,
    "maxEnergyPrice": 200,
    "offerValidityMs": 86_400_000,
    "maxWaitMs": 3_600_000,
    "paymentQueueProcessingSpeed": 5000,
    "provisionMs": 0,
}


def create_asset_app(module: AssetModule, store: AssetStore) -> FastAPI:
    """The device's HTTP face."""
    app = FastAPI(
        docs_url=None,
        redoc_url=None,
        title="Plaza energy asset module",
        version="1",
        summary="One energy device: its pool, offers or requests, contracts and "
        "payments, in the energy seed's protocol.",
    )
    serve_docs(app)
    install_replies(app)
    router = APIRouter()

    def plain(action: Callable[[Mapping[str, Any]], Mapping[str, Any] | None]) -> Any:
        return lambda body: action(json_object(body))

    post_route(
        router,
        "/init",
        plain(module.initialise),
        summary="Configure the device",
        sealed=False,
        example=INIT_EXAMPLE,
    )
    for path, action in (("/produce", module.produce), ("/consume", module.consume)):
        example = {"energy": 300, "uuid": _UUID}
        summary = f"Energy {path[1:]}d (Wh)"
        post_route(router, path, plain(action), summary=summary, sealed=False, example=example)
    for path in LETTERS:
        summary = f"Letter from the marketplace: {path[1:]}"
        post_route(router, path, functools.partial(module.receive, path), summary=summary)

    _read_routes(router, module, store)
    app.include_router(router)
    return app


def _read_routes(router: APIRouter, module: AssetModule, store: AssetStore) -> None:
    """The GET views: the device's state, for its owner alone (a read letter from the owner in
    ``X-Energy-Letter``, :mod:`plaza.energy.reads`); never a secret. Before ``/init`` names
    an owner, ``/status`` says only that the device is not configured."""

    @router.get("/health")
    def health() -> dict[str, Any]:
        return {"success": True}

    @router.get("/status", responses=READ_REFUSALS)
    def status(request: Request, letter: ReadLetter = None) -> dict[str, Any]:
        if not module.configured:
            return {"success": True, "configured": False}
        module.authorise_read(letter, request.url.path)
        return _status(module, store)

    @router.get("/transactions", responses=READ_REFUSALS)
    def transactions(request: Request, letter: ReadLetter = None) -> dict[str, Any]:
        module.authorise_read(letter, request.url.path)
        records = [
            {"id": r.id, "createdAt": r.created_ms, "transaction": r.state.to_json()}
            for r in store.records()
        ]
        return {"success": True, "transactions": records}

    @router.get("/transactions/{record_id}/events", responses=READ_REFUSALS)
    def events(request: Request, record_id: str, letter: ReadLetter = None) -> dict[str, Any]:
        module.authorise_read(letter, request.url.path)
        if store.record(record_id) is None:
            raise UnknownRecord(f"no transaction {record_id!r} on this asset")
        return {"success": True, "events": store.events(record_id)}


def _status(module: AssetModule, store: AssetStore) -> dict[str, Any]:
    """A configured device's ``/status``: its pool, keys, wallet and transactions by status."""
    pool = store.pool()
    config = module.config
    return {
        "success": True,
        "configured": True,
        "assetId": config.asset_id,
        "type": str(config.type),
        "status": str(config.status),
        "pool": pool.energy,
        "reserved": pool.reserved,
        "available": pool.available,
        "walletAddress": module.wallet_address,
        "publicKey": module.public_key.to_text(),
        "transactions": store.counts(),
    }


class AssetService:
    """One running device: ``app``, ``key``, ``module``, ``wallet_address``, jobs, cycle."""

    def __init__(
        self,
        *,
        module: AssetModule,
        store: AssetStore,
        cursors: CursorStore,
        outbox: EnergyOutbox,
    ) -> None:
        self.module = module
        self.store = store
        self.app = create_asset_app(module, store)
        self.key: ModuleKey = module.public_key
        self.wallet_address: str = module.wallet_address
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
