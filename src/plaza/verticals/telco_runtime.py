"""The telco desk of one served marketplace, made as the market's app starts.

A vertical's routers are mounted in the market's app and see its services
(:data:`~plaza.api.market.auth.ServicesDep`). The desk they share is made by
the vertical's :data:`lifecycle` router (a lifespan, which FastAPI merges into
the app's) and kept on the app's state; its node client and order file are
closed when the app stops; while it serves, a timer sweeps it every
:data:`SWEEP_S` (time's steps: delivery started unreported, each slice of a
window served paid in part and the rest before its end, an order completed once
its window ends; payments kept while a node was down, sent). Its orders are in
the marketplace's data directory (:data:`ORDERS_FILE`; in memory for a market
built without one). Its holds are
read and settled through the market's node (none configured: orders answer 503)
and signed with the marketplace's own key, the arbiter every telco hold names.
Its events go through the market's hub, once per party (the service provider,
the asset provider, the orchestrator), as the market's own events do, so a hub
subscription sees only its owner's. Each step of an order is staged in the market's
twin outbox for the orders channel (:mod:`plaza.telco.channel`), every order's
steps again as the app starts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.api.market.auth import ServicesDep
from plaza.api.market.services import MarketServices
from plaza.clients.node import NodeClient
from plaza.locks import FileLock
from plaza.market.errors import StoreFailed
from plaza.market.leases import Lease
from plaza.market.payments.holds import ArbiterHolds
from plaza.telco.channel import step_documents
from plaza.telco.desk import Announce, OrderDesk, Record
from plaza.telco.orders import ProductOrder
from plaza.telco.sqlite_store import SqliteOrderStore
from plaza.telco.store import MemoryOrderStore, OrderStore
from plaza.verticals.telco_views import order_view

__all__ = ["ORDERS_FILE", "SWEEP_S", "DeskDep", "Sweeper", "desk_of", "lifecycle", "make_desk"]

log = logging.getLogger(__name__)
_MAKING = threading.Lock()
#: The orders' file in the marketplace's data directory.
ORDERS_FILE = "telco-orders.sqlite"
#: Beside it: the lock an order's step holds in whichever worker process takes it.
ORDERS_LOCK = "telco-orders.lock"
#: How often the desk's timer applies time's steps.
SWEEP_S = 1.0


class Sweeper:
    """A thread sweeping ``desk`` every ``every_s`` until :meth:`stop`: a sweep that fails
    (the node down) is logged and tried again at the next tick, never ends the timer. Of a
    marketplace's worker processes, the one holding its ``lease`` sweeps."""

    def __init__(self, desk: OrderDesk, every_s: float = SWEEP_S, *, lease: Lease) -> None:
        self._desk, self._every_s, self._lease = desk, every_s, lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="telco-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            try:
                if self._lease.held():
                    self._desk.sweep()
            except Exception:  # the timer outlives any one sweep's failure
                log.warning("telco sweep failed; trying again", exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)


def _announcer(services: MarketServices) -> Announce:
    def announce(event_type: str, order: ProductOrder) -> None:
        view = order_view(order)
        changed = [{"itemId": "1", "state": order.state.value}]
        payload = {"productOrder": {**view, "itemStateChange": changed}}
        services.notifier.announce(
            event_type, payload, (order.customer, order.seller, order.orchestrator)
        )

    return announce


def _recorder(services: MarketServices) -> Record:
    """The orders channel's writer: each step staged in the market's twin outbox (none
    without a node). A failure to stage is logged: the desk stages every order's steps
    again as it starts, and what is staged already adds nothing."""
    twins = services.twins

    def record(order: ProductOrder) -> None:
        if twins is None:
            return
        try:
            twins.record_documents(step_documents(order))
        except StoreFailed as error:
            log.warning("order %s not on the orders channel yet: %s", order.id, error)

    return record


Closer = Callable[[], object]


def make_desk(services: MarketServices) -> tuple[OrderDesk, list[Closer]]:
    """A desk over ``services``, and what to close once the app has stopped (its node
    client, its order file)."""
    closers: list[Closer] = []
    holds = None
    if services.node_url:
        client = NodeClient(services.node_url)
        closers.append(client.close)
        holds = ArbiterHolds(RemoteLedger(client, clock=services.clock), services.identity.signing)
    store: OrderStore = MemoryOrderStore()
    lock = None
    if services.data_dir is not None:  # shared by the marketplace's workers on this machine
        sqlite = SqliteOrderStore(services.data_dir / ORDERS_FILE)
        closers.append(sqlite.close)
        store, lock = sqlite, FileLock(services.data_dir / ORDERS_LOCK)
    desk = OrderDesk(
        services.marketplace,
        registry=services.registry,
        holds=holds,
        clock=services.clock,
        store=store,
        announce=_announcer(services),
        record=_recorder(services),
        lock=lock,
    )
    return desk, closers


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The desk made as the market's app starts, swept while it serves, and closed after
    it stops serving."""
    desk, closers = make_desk(app.state.services)
    desk.record_all()
    app.state.telco_desk = desk
    sweeper = Sweeper(desk, lease=app.state.services.lease)
    sweeper.start()
    try:
        yield
    finally:
        sweeper.stop()
        for close in reversed(closers):
            close()


#: Mounted with the vertical's routers for its lifespan alone (FastAPI merges it into the
#: app's): it has no routes.
lifecycle = APIRouter(lifespan=lifespan)


def desk_of(services: MarketServices, state: object) -> OrderDesk:
    """The desk kept on ``state`` (the app's); made here, and never closed, only for an app
    whose lifespan did not run (one mounted inside another)."""
    desk = getattr(state, "telco_desk", None)
    if isinstance(desk, OrderDesk):
        return desk
    with _MAKING:
        desk = getattr(state, "telco_desk", None)
        if not isinstance(desk, OrderDesk):
            desk, _closers = make_desk(services)
            setattr(state, "telco_desk", desk)  # noqa: B010  # Starlette's State is dynamic
        return desk


async def _desk(request: Request, services: ServicesDep) -> OrderDesk:
    return desk_of(services, request.app.state)


DeskDep = Annotated[OrderDesk, Depends(_desk)]
