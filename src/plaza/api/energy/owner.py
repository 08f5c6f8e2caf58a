"""The user module over HTTP: its letter endpoints, the owners' API, and the running service.

Two faces: the letter endpoints (``POST /fund`` and ``POST /notify_event`` from devices,
``POST /onboarded`` from the marketplace; sealed ``{"encrypted": …}`` bodies), and the
owners' JSON API under ``/api`` (the seed's web dashboard). Every ``/api`` call but sign-up
needs ``Authorization: Bearer <apiKey>``; an owner reaches only its own devices, and
another owner's device is answered exactly like one that does not exist (404).
Replies follow the seed: ``{"success": true, …}``, or ``{"success": false, "error",
"code"}`` with a 4xx/502 status (:mod:`plaza.api.energy.replies`).

:class:`OwnerService` is what :func:`plaza.bootstrap.energy_modules.open_owner` returns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from plaza.api.docs import serve_docs
from plaza.api.energy.replies import install_replies, json_object, post_route, read_body
from plaza.crypto import Identity
from plaza.energy.errors import NotAuthenticated
from plaza.energy.ledger import LedgerAccess
from plaza.energy.link import EnergyOutbox
from plaza.energy.owner.ports import Clock, OwnerKeys, OwnerStore
from plaza.energy.owner.service import OwnerModule
from plaza.energy.peers import Peer
from plaza.jobs import JobQueue
from plaza.market.auth import NonceStore
from plaza.market.auth.outbox import Link

__all__ = ["OwnerService", "create_owner_app"]

_DEVICE_EXAMPLE = {
    "type": "provider",
    "name": "solar-roof-7",
    "uuid": "ba4a33f0-ee20-41e4-9fcd-9f91ecf77d0f",
    "energyPrice": 2000,
    "running": True,
    "dashboard": False,
    "url": "http://device:7001",
    "location": "Trondheim",
    "description": "12 kWp roof array",
    "minOfferAmount": 200,
}


def _example(example: Mapping[str, Any]) -> dict[str, Any]:
    """An OpenAPI request body: bodies are read by hand (size-limited), not by a model."""
    content = {"application/json": {"schema": {"type": "object"}, "example": dict(example)}}
    return {"requestBody": {"required": True, "content": content}}


async def _json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, refused past :data:`MAX_BODY` bytes."""
    return json_object(await read_body(request))


def _ok(**fields: Any) -> JSONResponse:
    return JSONResponse({"success": True, **fields})


_bearer = HTTPBearer(auto_error=False, description="the apiKey POST /api/owners answered")


def _current_owner(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The owner whose API key the request carries (runs on the thread pool: SQLite)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated("send Authorization: Bearer <apiKey>")
    module: OwnerModule = request.app.state.owner_module
    return module.authenticate(credentials.credentials)


JsonBody = Annotated[dict[str, Any], Depends(_json_body)]
CurrentOwner = Annotated[str, Depends(_current_owner)]


def create_owner_app(module: OwnerModule) -> FastAPI:
    """The module's FastAPI app: ``/health``, the letter endpoints and the owners' API."""
    app = FastAPI(title="Plaza energy: user module", version="1", docs_url=None, redoc_url=None)
    serve_docs(app)
    install_replies(app)
    app.state.owner_module = module

    @app.get("/health", summary="Liveness")
    def health() -> JSONResponse:
        return _ok()

    letters = APIRouter(tags=["letters from devices"])
    post_route(
        letters,
        "/fund",
        module.receive_fund,
        summary="A device asks its owner for coins (sealed letter)",
    )
    post_route(
        letters,
        "/notify_event",
        module.receive_event,
        summary="A device reports a transaction state (sealed letter)",
    )
    post_route(
        letters,
        "/onboarded",
        module.receive_onboarded,
        summary="The marketplace asks whether an asset was onboarded (sealed letter)",
    )
    app.include_router(letters)
    app.include_router(_owner_routes(module))
    app.include_router(_device_routes(module))
    return app


def _owner_routes(module: OwnerModule) -> APIRouter:
    router = APIRouter(prefix="/api/owners", tags=["owners"])

    @router.post(
        "", summary="Sign up: the API key is shown once", openapi_extra=_example({"name": "Ada"})
    )
    def sign_up(body: JsonBody) -> JSONResponse:
        return _ok(**module.create_owner(body.get("name")).to_json())

    @router.get("/me", summary="The owner and its wallet")
    def me(owner_id: CurrentOwner) -> JSONResponse:
        return _ok(**module.owner_wallet(owner_id))

    @router.post("/me/funds", summary="Add funds (devnet: the node's faucet)")
    def add_funds(owner_id: CurrentOwner) -> JSONResponse:
        return _ok(transfer=module.add_funds(owner_id).to_json())

    @router.post(
        "/me/withdraw",
        summary="Send coins from the owner's wallet to an address",
        openapi_extra=_example({"address": "plz1…", "amount": 1000}),
    )
    def withdraw(owner_id: CurrentOwner, body: JsonBody) -> JSONResponse:
        transfer = module.withdraw(owner_id, body.get("address"), body.get("amount"))
        return _ok(transfer=transfer.to_json())

    return router


def _device_routes(module: OwnerModule) -> APIRouter:
    router = APIRouter(prefix="/api/devices", tags=["devices"])

    @router.post(
        "",
        summary="Onboard a device (its /init must succeed)",
        openapi_extra=_example(_DEVICE_EXAMPLE),
    )
    def add(owner_id: CurrentOwner, body: JsonBody) -> JSONResponse:
        return _ok(device=module.add_device(owner_id, body).to_json())

    @router.get("", summary="The owner's devices with their balances")
    def listing(owner_id: CurrentOwner) -> JSONResponse:
        return _ok(devices=module.devices(owner_id))

    @router.get("/{device_id}", summary="A device's overview and aggregates")
    def overview(owner_id: CurrentOwner, device_id: str) -> JSONResponse:
        return _ok(device=module.device_overview(owner_id, device_id))

    @router.patch(
        "/{device_id}",
        summary="Update settings (pushed to the device)",
        openapi_extra=_example({"energyPrice": 2500}),
    )
    def update(owner_id: CurrentOwner, device_id: str, body: JsonBody) -> JSONResponse:
        return _ok(device=module.update_device(owner_id, device_id, body).to_json())

    _device_state_routes(router, module)
    _device_history_routes(router, module)
    return router


def _device_state_routes(router: APIRouter, module: OwnerModule) -> None:
    """A device's running state: paused, continued, or stopped and forgotten."""

    @router.post("/{device_id}/pause", summary="Pause operation")
    def pause(owner_id: CurrentOwner, device_id: str) -> JSONResponse:
        return _ok(device=module.pause_device(owner_id, device_id).to_json())

    @router.post("/{device_id}/continue", summary="Continue operation")
    def resume(owner_id: CurrentOwner, device_id: str) -> JSONResponse:
        return _ok(device=module.continue_device(owner_id, device_id).to_json())

    @router.delete("/{device_id}", summary="Stop the device and forget it with its events")
    def delete(owner_id: CurrentOwner, device_id: str, force: bool = False) -> JSONResponse:
        module.delete_device(owner_id, device_id, force=force)
        return _ok()


def _device_history_routes(router: APIRouter, module: OwnerModule) -> None:
    """What a device did: its transactions, their twins, and the money sent to it."""

    @router.get("/{device_id}/transactions", summary="Transactions with their events")
    def transactions(
        owner_id: CurrentOwner,
        device_id: str,
        *,
        status: str | None = None,
        search: str | None = None,
        page: int = 1,
        per_page: Annotated[int, Query(alias="per_page")] = 10,
    ) -> JSONResponse:
        found = module.device_transactions(
            owner_id, device_id, status=status, search=search, page=page, per_page=per_page
        )
        return _ok(**found.to_json())

    @router.get(
        "/{device_id}/transactions/{transaction_id}/twin",
        summary="The transaction's digital twin, read from the ledger",
    )
    def twin(owner_id: CurrentOwner, device_id: str, transaction_id: str) -> JSONResponse:
        return _ok(**module.transaction_twin(owner_id, device_id, transaction_id))

    @router.post(
        "/{device_id}/fund",
        summary="Fund the device from the owner's wallet",
        openapi_extra=_example({"amount": 1000}),
    )
    def fund(owner_id: CurrentOwner, device_id: str, body: JsonBody) -> JSONResponse:
        transfer = module.fund_device(owner_id, device_id, body.get("amount"))
        return _ok(transfer=transfer.to_json())


class OwnerService(OwnerModule):
    """The user module with its HTTP app (``.app``), opened by
    :func:`~plaza.bootstrap.energy_modules.open_owner`."""

    def __init__(
        self,
        *,
        store: OwnerStore,
        queue: JobQueue,
        keys: OwnerKeys,
        identity: Identity,
        ledger: LedgerAccess,
        link: Link,
        clock: Clock,
        marketplace: Peer,
        public_url: str,
        outbox: EnergyOutbox,
        nonces: NonceStore | None = None,
    ) -> None:
        self._outbox = outbox
        super().__init__(
            store=store,
            keys=keys,
            identity=identity,
            ledger=ledger,
            link=link,
            outbox=outbox,
            clock=clock,
            marketplace=marketplace,
            public_url=public_url,
            nonces=nonces,
        )
        self.store = store
        self.queue = queue  # the outbox's: device status letters to the marketplace
        self.app = create_owner_app(self)

    def handlers(self) -> dict[str, Callable[[Mapping[str, Any]], None]]:
        """The jobs this service's queue runs: the delivery of its letters."""
        return dict(self._outbox.handlers())

    def close(self) -> None:
        self.store.close()
