"""The bid manager as a running service: its keys, book, tables, outbox and HTTP app.

:func:`open_bidmanager` picks the policy by name (refusing an unknown one before
anything is opened), rebuilds the book from its journal, and hands the pure
:class:`~plaza.energy.bidmanager.service.EnergyBidManager` its ports. Starting
also finishes what a crash interrupted: bids stored but not booked are booked,
journaled matches not yet sent are sent. A ``/match`` the marketplace refuses is
logged and handed back to the bid manager
(:meth:`~plaza.energy.bidmanager.service.EnergyBidManager.match_refused`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI

import plaza
from plaza.energy.bidmanager.service import BIDMANAGER, EnergyBidManager
from plaza.energy.bidmanager.store import SqliteBidStore
from plaza.energy.envelope import ModuleKey
from plaza.energy.errors import NotConfigured
from plaza.energy.http.replies import install_replies, post_route
from plaza.energy.keys import load_or_create
from plaza.energy.link import Link, Outbox, Refusal
from plaza.energy.nonces import NONCES_FILE, SqliteNonces
from plaza.jobs import Clock, Handler, JobQueue
from plaza.market.errors import UnknownPolicy
from plaza.market.matching import MatchingPolicy, policy_named
from plaza.market.service import BidManager
from plaza.market.sqlite import SqliteBookStore

__all__ = [
    "DEFAULT_VALIDITY_MS",
    "BidManagerService",
    "bidmanager_key",
    "create_bidmanager_app",
    "open_bidmanager",
]

#: How long a bid may wait on the book (the seed's offers are valid for 24 hours).
DEFAULT_VALIDITY_MS = 24 * 3600 * 1000


class BidManagerService:
    """One bid manager: ``app`` to serve, ``handlers`` for its worker, ``cycle`` to tick."""

    def __init__(
        self,
        *,
        bidmanager: EnergyBidManager,
        store: SqliteBidStore,
        journal: SqliteBookStore,
        outbox: Outbox,
    ) -> None:
        self.bidmanager = bidmanager
        self.key: ModuleKey = bidmanager.key
        self.app = create_bidmanager_app(bidmanager)
        self._store = store
        self._journal = journal
        self._outbox = outbox

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


def bidmanager_key(data_dir: Path) -> ModuleKey:
    """The public keys of the bid manager in ``data_dir`` (made on first use), for its peers."""
    return ModuleKey.of(load_or_create(data_dir / "bidmanager.key").identity)


def open_bidmanager(
    data_dir: Path,
    *,
    link: Link,
    queue: JobQueue,
    clock: Clock,
    marketplace_url: str,
    marketplace_key: ModuleKey,
    policy: str = "one_to_one",
    validity_ms: int = DEFAULT_VALIDITY_MS,
) -> BidManagerService:
    """The bid manager whose keys and ``bidmanager.sqlite3`` are in ``data_dir``.

    ``policy`` names a market policy (``one_to_one``, ``cda``, ``uniform``, ``manual``);
    an unknown name is refused with :class:`~plaza.energy.errors.NotConfigured`.
    """
    matching = _policy(policy)
    identity = load_or_create(data_dir / "bidmanager.key").identity
    database = data_dir / "bidmanager.sqlite3"
    store = SqliteBidStore(database)
    journal = SqliteBookStore(database)
    try:
        book = BidManager(journal, clock=clock, policy=matching)
        refusals = _Refusals(store, clock)
        outbox = Outbox(queue, link, sender=lambda: BIDMANAGER, identity=lambda: identity,
                        clock=clock, on_refused=refusals)  # fmt: skip
        bidmanager = EnergyBidManager(
            identity=identity, book=book, journal=journal, store=store, outbox=outbox,
            clock=clock, marketplace_url=marketplace_url, marketplace_key=marketplace_key,
            validity_ms=validity_ms, nonces=SqliteNonces(data_dir / NONCES_FILE),
        )  # fmt: skip
        refusals.bidmanager = bidmanager
        bidmanager.cycle()
    except BaseException:
        journal.close()
        store.close()
        raise
    return BidManagerService(bidmanager=bidmanager, store=store, journal=journal, outbox=outbox)


def create_bidmanager_app(bidmanager: EnergyBidManager) -> FastAPI:
    """The seed's bid manager endpoints and ``GET /health``."""
    app = FastAPI(
        title="Plaza energy bid manager",
        version=plaza.__version__,
        description="The energy seed's bid manager: bids from the marketplace only, matched "
        "on Plaza's order book by a pluggable policy.",
    )
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


def _policy(name: str) -> MatchingPolicy:
    try:
        return policy_named(name)
    except UnknownPolicy as error:
        raise NotConfigured(f"the bid manager cannot start: {error}") from None


class _Refusals:
    """The outbox's ``on_refused``: the marketplace refused a letter, and would again.

    The refusal is logged; a refused ``/match`` goes to the bid manager with the
    marketplace's details, and the bid manager puts the pair's live bid back on the
    book. Until the bid manager is open, a refusal raises, so its delivery is retried
    rather than lost.
    """

    def __init__(self, store: SqliteBidStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self.bidmanager: EnergyBidManager | None = None

    def __call__(self, refusal: Refusal) -> None:
        if refusal.path == "/match" and self.bidmanager is None:
            raise RuntimeError("a /match was refused before the bid manager was open")
        self._store.log(now_ms=self._clock.now_ms(), operation="deliver",
                        record_id=refusal.url + refusal.path, outcome="refused",
                        detail=refusal.reason)  # fmt: skip
        if refusal.path == "/match" and self.bidmanager is not None:
            self.bidmanager.match_refused(refusal.body, refusal.reason, details=refusal.details)
