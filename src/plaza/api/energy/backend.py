"""The marketplace backend over HTTP: the seed's endpoints, and the running service.

The app only reads bodies and maps refusals to the seed's replies; every decision
is the pure :class:`~plaza.energy.backend.service.EnergyMarketplace`'s.
:class:`MarketplaceService` is what :func:`plaza.bootstrap.energy_modules.open_marketplace`
returns (it picks the adapters and keys).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

import plaza
from plaza.api.docs import serve_docs
from plaza.api.energy.replies import READ_REFUSALS, ReadLetter, install_replies, post_route
from plaza.channels import CursorStore
from plaza.energy.backend.model import ContractAudit
from plaza.energy.backend.ports import MarketplaceStore
from plaza.energy.backend.service import EnergyMarketplace
from plaza.energy.envelope import ModuleKey
from plaza.energy.errors import InvalidMessage
from plaza.energy.link import EnergyOutbox
from plaza.jobs import Handler

__all__ = ["MarketplaceService", "create_marketplace_app"]

_CONTRACT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_SETTLEMENT = {
    "/provision": "An asset finished providing (or consuming) a contract's energy",
    "/payment_processing": "The consumer paid a contract on the ledger",
    "/payment_confirmation": "The provider found the payment on the ledger",
    "/reminder": "The provider reminds an unpaid consumer",
    "/cancel": "An asset cancels an offer, a request or a contract",
    "/claim": "The provider claims a contract still unpaid after three reminders",
}


class MarketplaceService:
    """One marketplace backend: ``app`` to serve, ``handlers`` for its worker, ``cycle`` to tick."""

    def __init__(
        self,
        *,
        marketplace: EnergyMarketplace,
        store: MarketplaceStore,
        cursors: CursorStore,
        outbox: EnergyOutbox,
    ) -> None:
        self.marketplace = marketplace
        self.key: ModuleKey = marketplace.key
        self.app = create_marketplace_app(marketplace)
        self._store = store
        self._cursors = cursors
        self._outbox = outbox

    @property
    def records(self) -> MarketplaceStore:
        """The offers, requests, contracts and their events, for readers (the web's twins)."""
        return self._store

    def handlers(self) -> dict[str, Handler]:
        """The jobs this service's queue runs: the delivery of its letters."""
        return dict(self._outbox.handlers())

    def cycle(self) -> None:
        """Periodic work: twin states the ledger could not take yet."""
        self.marketplace.flush_twins()

    def statistics(self) -> dict[str, int]:
        return self.marketplace.statistics()

    def audit(self, contract_id: str) -> ContractAudit:
        return self.marketplace.audit(contract_id)

    def log_entries(self, *, limit: int = 1000) -> list[dict[str, Any]]:
        """The ``log`` table, newest first."""
        return self._store.log_entries(limit=limit)

    def close(self) -> None:
        self._store.close()
        self._cursors.close()


def create_marketplace_app(marketplace: EnergyMarketplace) -> FastAPI:
    """The seed's marketplace endpoints, ``GET /health`` and ``GET /audit/{contract_id}``."""
    app = FastAPI(
        docs_url=None,
        redoc_url=None,
        title="Plaza energy marketplace",
        version=plaza.__version__,
        description="The energy seed's marketplace backend: sealed, signed letters from assets "
        "and the bid manager; contracts recorded on their digital twins.",
    )
    serve_docs(app)
    install_replies(app)
    router = APIRouter()
    _letter_routes(router, marketplace)

    @router.get("/health", summary="Liveness")
    async def health() -> dict[str, bool]:
        return {"success": True}

    @router.get(
        "/audit/{contract_id}",
        summary="A contract's twins against the database: the operator's or an auditor's read",
        responses=READ_REFUSALS,
    )
    async def audit(request: Request, contract_id: str, letter: ReadLetter = None) -> JSONResponse:
        if not _CONTRACT_ID.fullmatch(contract_id):
            raise InvalidMessage("contract_id is not a valid identifier")
        await run_in_threadpool(marketplace.authorise_audit, letter, request.url.path)
        found = await run_in_threadpool(marketplace.audit, contract_id)
        return JSONResponse({"success": True, **found.to_json()})

    app.include_router(router)
    return app


def _letter_routes(router: APIRouter, marketplace: EnergyMarketplace) -> None:
    """The letters the marketplace takes: from assets, the bid manager and the user module."""
    post_route(router, "/register", marketplace.register, summary="Register an asset")
    post_route(router, "/offer", marketplace.offer, summary="An asset offers energy")
    post_route(router, "/request", marketplace.request, summary="An asset requests energy")
    post_route(router, "/match", marketplace.match, summary="The bid manager matched a pair")
    post_route(
        router,
        "/asset_status",
        marketplace.asset_status,
        summary="The user module: a device runs, is paused or is deleted",
    )
    post_route(
        router,
        "/unpaid",
        marketplace.unpaid,
        summary="The user module asks which contracts a consumer has to pay",
    )
    for path, summary in _SETTLEMENT.items():
        post_route(router, path, _settlement(marketplace, path), summary=summary)


def _settlement(marketplace: EnergyMarketplace, path: str) -> Callable[[bytes], Mapping[str, Any]]:
    def handle(document: bytes) -> Mapping[str, Any]:
        return marketplace.settle(path, document)

    return handle
