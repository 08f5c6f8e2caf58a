"""The bid manager over HTTP: the seed's endpoints, and the running service.

:class:`BidManagerService` is what :func:`plaza.bootstrap.energy_modules.open_bidmanager`
returns: the app over the pure
:class:`~plaza.energy.bidmanager.service.EnergyBidManager`, its jobs and its cycle.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

import plaza
from plaza.api.docs import serve_docs
from plaza.api.energy.replies import install_replies, post_route
from plaza.energy.bidmanager.ports import BidStore
from plaza.energy.bidmanager.service import EnergyBidManager
from plaza.energy.envelope import ModuleKey
from plaza.energy.link import EnergyOutbox
from plaza.jobs import Handler
from plaza.market.book.ports import BookStore
from plaza.market.book.service import BidManager

__all__ = ["BidManagerService", "create_bidmanager_app"]


class BidManagerService:
    """One bid manager: ``app`` to serve, ``handlers`` for its worker, ``cycle`` to tick."""

    def __init__(
        self,
        *,
        bidmanager: EnergyBidManager,
        store: BidStore,
        journal: BookStore,
        outbox: EnergyOutbox,
    ) -> None:
        self.bidmanager = bidmanager
        self.key: ModuleKey = bidmanager.key
        self.app = create_bidmanager_app(bidmanager)
        self._store = store
        self._journal = journal
        self._outbox = outbox

    @property
    def bids(self) -> BidManager:
        """The book the bids rest on, each order carrying its bid's seed fields, for readers
        (the web's twins)."""
        return self.bidmanager.book

    def handlers(self) -> dict[str, Handler]:
        """The jobs this service's queue runs: the delivery of its letters."""
        return dict(self._outbox.handlers())

    def cycle(self) -> None:
        """Periodic work: clearing (periodic policies), expiry, and matches still to send."""
        self.bidmanager.cycle()

    def statistics(self) -> dict[str, int]:
        return self.bidmanager.statistics()

    def log_entries(self, *, limit: int = 1000) -> list[dict[str, Any]]:
        """The ``log`` table, newest first."""
        return self._store.log_entries(limit=limit)

    def close(self) -> None:
        self._journal.close()
        self._store.close()


def create_bidmanager_app(bidmanager: EnergyBidManager) -> FastAPI:
    """The seed's bid manager endpoints and ``GET /health``."""
    app = FastAPI(
        docs_url=None,
        redoc_url=None,
        title="Plaza energy bid manager",
        version=plaza.__version__,
        description="The energy seed's bid manager: bids from the marketplace only, matched "
        "on Plaza's order book by a pluggable policy.",
    )
    serve_docs(app)
    install_replies(app)
    router = APIRouter()
    post_route(router, "/offer", bidmanager.offer, summary="The marketplace forwards an offer")
    post_route(router, "/request", bidmanager.request, summary="The marketplace forwards a request")
    post_route(router, "/remove", bidmanager.remove, summary="An offer or request was cancelled")

    @router.get("/health", summary="Liveness")
    async def health() -> dict[str, bool]:
        return {"success": True}

    app.include_router(router)
    return app
