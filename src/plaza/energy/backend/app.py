"""The marketplace backend as a running service: its keys, database, twins, outbox and HTTP app.

:func:`open_marketplace` is the composition root of this module: it picks the
SQLite adapters, loads (or makes) the keys, and hands the pure
:class:`~plaza.energy.backend.service.Marketplace` its ports. The HTTP app only
reads bodies and maps refusals to the seed's replies; every decision is the
domain's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

import plaza
from plaza.channels.cursors import SqliteCursorStore
from plaza.energy.backend.model import MARKETPLACE, ContractAudit, MarketplaceSettings, Peer
from plaza.energy.backend.onboarding import Onboarding
from plaza.energy.backend.service import Marketplace
from plaza.energy.backend.store import SqliteMarketplaceStore
from plaza.energy.envelope import ModuleKey
from plaza.energy.errors import InvalidMessage
from plaza.energy.http.replies import install_replies, post_route
from plaza.energy.keys import load_or_create
from plaza.energy.ledger import LedgerAccess
from plaza.energy.link import Link, OnRefused, Outbox, Refusal
from plaza.energy.nonces import NONCES_FILE, SqliteNonces
from plaza.jobs import Clock, Handler, JobQueue
from plaza.market.ledger_payments import LedgerPayments

__all__ = ["MarketplaceService", "create_marketplace_app", "marketplace_key", "open_marketplace"]

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
        marketplace: Marketplace,
        store: SqliteMarketplaceStore,
        cursors: SqliteCursorStore,
        outbox: Outbox,
    ) -> None:
        self.marketplace = marketplace
        self.key: ModuleKey = marketplace.key
        self.app = create_marketplace_app(marketplace)
        self._store = store
        self._cursors = cursors
        self._outbox = outbox

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


def marketplace_key(data_dir: Path) -> ModuleKey:
    """The public keys of the marketplace in ``data_dir`` (made on first use), for its peers."""
    return ModuleKey.of(load_or_create(data_dir / "marketplace.key").identity)


def open_marketplace(
    data_dir: Path,
    *,
    ledger: LedgerAccess,
    link: Link,
    queue: JobQueue,
    clock: Clock,
    bidmanager_url: str,
    bidmanager_key: ModuleKey,
    settings: MarketplaceSettings | None = None,
    user_module: Peer | None = None,
) -> MarketplaceService:
    """The marketplace whose keys and ``marketplace.sqlite3`` are in ``data_dir``; with
    ``user_module`` (its URL and keys), the owner rules of
    :mod:`~plaza.energy.backend.onboarding` are checked with it."""
    identity = load_or_create(data_dir / "marketplace.key").identity
    database = data_dir / "marketplace.sqlite3"
    cursors = SqliteCursorStore(database)  # first: it makes the file private (cursor secrets)
    store = SqliteMarketplaceStore(database)
    outbox = Outbox(
        queue,
        link,
        sender=lambda: MARKETPLACE,
        identity=lambda: identity,
        clock=clock,
        on_refused=_refusal_logger(store, clock),
    )
    nonces = SqliteNonces(data_dir / NONCES_FILE)
    onboarding = None
    if user_module is not None:
        onboarding = Onboarding(
            identity=identity,
            store=store,
            clock=clock,
            nonces=nonces,
            link=link,
            user_module=user_module,
        )
    marketplace = Marketplace(
        identity=identity,
        store=store,
        outbox=outbox,
        cursors=cursors,
        ledger=ledger,
        payments=LedgerPayments(ledger.transfers, ()),  # checks reported payments, pays none
        clock=clock,
        bidmanager=Peer(bidmanager_url, bidmanager_key),
        settings=settings,
        nonces=nonces,
        onboarding=onboarding,
    )
    return MarketplaceService(marketplace=marketplace, store=store, cursors=cursors, outbox=outbox)


def create_marketplace_app(marketplace: Marketplace) -> FastAPI:
    """The seed's marketplace endpoints, ``GET /health`` and ``GET /audit/{contract_id}``."""
    app = FastAPI(
        title="Plaza energy marketplace",
        version=plaza.__version__,
        description="The energy seed's marketplace backend: sealed, signed letters from assets "
        "and the bid manager; contracts recorded on their digital twins.",
    )
    install_replies(app)
    router = APIRouter()
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

    @router.get("/health", summary="Liveness")
    async def health() -> dict[str, bool]:
        return {"success": True}

    @router.get("/audit/{contract_id}", summary="A contract's twins against the database")
    async def audit(contract_id: str) -> JSONResponse:
        if not _CONTRACT_ID.fullmatch(contract_id):
            raise InvalidMessage("contract_id is not a valid identifier")
        found = await run_in_threadpool(marketplace.audit, contract_id)
        return JSONResponse({"success": True, **found.to_json()})

    app.include_router(router)
    return app


def _refusal_logger(store: SqliteMarketplaceStore, clock: Clock) -> OnRefused:
    """A peer refused a letter: it would refuse it again, so the log is where it ends."""

    def log(refusal: Refusal) -> None:
        store.log(
            now_ms=clock.now_ms(),
            operation="deliver",
            record_id=refusal.url + refusal.path,
            outcome="refused",
            detail=refusal.reason,
        )

    return log


def _settlement(marketplace: Marketplace, path: str) -> Callable[[bytes], Mapping[str, Any]]:
    def handle(document: bytes) -> Mapping[str, Any]:
        return marketplace.settle(path, document)

    return handle
