"""The telco desk of one served marketplace, made on first use from the market's services.

A vertical's routers are mounted in the market's app and see its services
(:data:`~plaza.api.market.auth.ServicesDep`); the desk they share is kept on
the app's state, its orders in the marketplace's data directory
(:data:`ORDERS_FILE`; in memory for a market built without one). Its holds are
read and settled through the market's node (none configured: orders answer 503)
and signed with the marketplace's own key,
the arbiter every telco hold names. Its events go through the market's hub,
once per party (the service provider, the asset provider, the orchestrator),
as the market's own events do, so a hub subscription sees only its owner's.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.api.market.auth import ServicesDep
from plaza.api.market.services import MarketServices
from plaza.clients.node import NodeClient
from plaza.market.payments.holds import ArbiterHolds
from plaza.telco.desk import Announce, OrderDesk
from plaza.telco.orders import ProductOrder
from plaza.telco.sqlite_store import SqliteOrderStore
from plaza.telco.store import MemoryOrderStore, OrderStore
from plaza.verticals.telco_views import order_view

__all__ = ["DeskDep", "desk_of"]

_MAKING = threading.Lock()
#: The orders' file in the marketplace's data directory.
ORDERS_FILE = "telco-orders.sqlite"


def _announcer(services: MarketServices) -> Announce:
    def announce(event_type: str, order: ProductOrder) -> None:
        view = order_view(order)
        changed = [{"itemId": "1", "state": order.state.value}]
        payload = {"productOrder": {**view, "itemStateChange": changed}}
        services.notifier.announce(
            event_type, payload, (order.customer, order.seller, order.orchestrator)
        )

    return announce


def _holds(services: MarketServices) -> ArbiterHolds | None:
    if not services.node_url:
        return None
    ledger = RemoteLedger(NodeClient(services.node_url), clock=services.clock)
    return ArbiterHolds(ledger, services.identity.signing)


def _store(services: MarketServices) -> OrderStore:
    if services.data_dir is None:
        return MemoryOrderStore()
    return SqliteOrderStore(services.data_dir / ORDERS_FILE)


def desk_of(services: MarketServices, state: object) -> OrderDesk:
    """The desk kept on ``state`` (the app's), made the first time."""
    desk = getattr(state, "telco_desk", None)
    if isinstance(desk, OrderDesk):
        return desk
    with _MAKING:
        desk = getattr(state, "telco_desk", None)
        if not isinstance(desk, OrderDesk):
            desk = OrderDesk(
                services.marketplace,
                registry=services.registry,
                holds=_holds(services),
                clock=services.clock,
                store=_store(services),
                announce=_announcer(services),
            )
            setattr(state, "telco_desk", desk)  # noqa: B010  # Starlette's State is dynamic
        return desk


async def _desk(request: Request, services: ServicesDep) -> OrderDesk:
    return desk_of(services, request.app.state)


DeskDep = Annotated[OrderDesk, Depends(_desk)]
