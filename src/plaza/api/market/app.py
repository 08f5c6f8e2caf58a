"""The marketplace application factory: a FastAPI app over one :class:`MarketServices`.

A separate app from the node's: the marketplace runs against a node (it will
record twins and watch payments there) but is its own service, with its own
port, keys and database. The app owns only its background threads
(:class:`~plaza.api.market.background.Background`), which run for exactly as
long as it serves; whoever built the services closes them afterwards.
Verticals add their routers under their own names (:mod:`plaza.verticals`
hands them in); a name that would shadow the market's own paths is refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from plaza.api.docs import serve_docs
from plaza.api.market.auth import BodyGate, ServicesDep
from plaza.api.market.background import Background
from plaza.api.market.errors import install_market_error_guard, install_market_error_handlers
from plaza.api.market.routes import assets, audit, contracts, hub, orders, participants
from plaza.api.market.schemas import MarketHealthView, MarketInfoView
from plaza.api.market.services import MarketServices

__all__ = ["MARKET_PREFIX", "create_market_app"]

MARKET_PREFIX = "/api/v1/market"

_service = APIRouter(tags=["service"])


@_service.get("/health")
async def health() -> MarketHealthView:
    """Liveness: async and store-free, so it answers while the worker threads are busy."""
    return MarketHealthView()


@_service.get(f"{MARKET_PREFIX}/info")
async def info(services: ServicesDep) -> MarketInfoView:
    """The audience to sign for, the keys that verify contracts and seal bodies, the clock."""
    identity = services.identity
    return MarketInfoView(
        audience=services.audience,
        marketplace_id=str(identity.address),
        signing_key=identity.public_key.raw.hex(),
        encryption_key=identity.encryption.public_key.raw.hex(),
        policy=services.policy,
        node_url=services.node_url,
        time_ms=services.clock.now_ms(),
    )


def _lifespan(services: MarketServices) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        background = Background(services)
        background.start()
        try:
            yield
        finally:
            background.stop()

    return lifespan


#: The market's own routers, mounted under :data:`MARKET_PREFIX`.
_OWN = (
    participants.router,
    orders.router,
    assets.router,
    contracts.router,
    audit.router,
    hub.router,
)


def _mount_verticals(app: FastAPI, verticals: Mapping[str, Sequence[APIRouter]]) -> None:
    """Each vertical's routers under ``MARKET_PREFIX/<name>``, unless the name is the first
    path segment of a market route (it would shadow them): a ``ValueError`` then."""
    taken = {"info"} | {  # /info is _service's
        route.path.strip("/").split("/")[0]
        for router in _OWN
        for route in router.routes
        if isinstance(route, APIRoute)
    }
    for name, routers in verticals.items():
        if name in taken:
            raise ValueError(f"vertical {name!r} would shadow the market's /{name} routes")
        for router in routers:
            app.include_router(router, prefix=f"{MARKET_PREFIX}/{name}", tags=[name])


def create_market_app(
    services: MarketServices, *, verticals: Mapping[str, Sequence[APIRouter]] | None = None
) -> FastAPI:
    """The marketplace API under ``/api/v1/market``, with ``/health``, ``/docs`` and OpenAPI.

    ``verticals`` are the verticals' routers by vertical name (see
    :meth:`plaza.verticals.VerticalRegistry.routers`), each mounted under
    ``/api/v1/market/<name>``.
    """
    app = FastAPI(
        docs_url=None,
        redoc_url=None,
        title="Plaza marketplace",
        version="1",
        summary="Assets, offers and requests, matches, signed contracts and their settlement.",
        lifespan=_lifespan(services),
    )
    serve_docs(app)
    app.state.services = services
    install_market_error_handlers(app)
    for router in _OWN:
        app.include_router(router, prefix=MARKET_PREFIX)
    _mount_verticals(app, verticals or {})
    app.include_router(_service)
    app.add_middleware(
        BodyGate,
        key=services.identity.encryption,
        max_body_bytes=services.config.max_body_bytes,
    )
    install_market_error_guard(app)
    return app
