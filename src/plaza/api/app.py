"""The application factory: one FastAPI app serving one :class:`NodeRuntime`.

The app does not own the runtime: whoever built it (the CLI, a test) closes it
after the server stops. The app owns only the coordinator loop, because that
loop must run inside the server's event loop and stop before the runtime closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import APIRouter, FastAPI

from plaza.api.deps import ApiConfig, RuntimeDep
from plaza.api.docs import serve_docs
from plaza.api.errors import install_error_handlers
from plaza.api.routes import events, faucet, ledger, messages, peering
from plaza.api.schemas import HealthView
from plaza.network import Gossip
from plaza.node import NodeRuntime

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"

_node = APIRouter(tags=["node"])


@_node.get("/health")
async def health(runtime: RuntimeDep) -> HealthView:
    """Liveness: 200 whenever the node answers.

    Async and store-free on purpose: it answers on the event loop even when the
    worker threads are all busy (proof of work, slow queries), which is exactly
    when a probe must not mistake a busy node for a dead one.
    """
    return HealthView(latest_milestone_index=runtime.tangle.latest_milestone.index)


@functools.cache
def _freeze_startup_objects() -> None:
    """Keep what a serving process has built by now (modules, schemas, routes, its runtime)
    out of the collector's full passes, once per process, after collecting the garbage.

    Those objects live as long as the process; a full collection walked all of them (about
    a tenth of a second on a small machine), and a burst of connections, such as a client
    opening event streams by the thousand, promotes enough short-lived objects to trigger
    one during ingest. The collections that follow walk only what was made since."""
    gc.collect()
    gc.freeze()


def _background_lifespan(
    runtime: NodeRuntime, gossip: Gossip | None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """Run the coordinator loop and gossip for exactly as long as the server serves."""
        _freeze_startup_objects()
        tasks = [asyncio.create_task(runtime.run_coordinator(), name="plaza-coordinator")]
        if gossip is not None:
            tasks.append(asyncio.create_task(gossip.run(), name="plaza-gossip"))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return lifespan


def create_app(
    runtime: NodeRuntime, *, config: ApiConfig | None = None, gossip: Gossip | None = None
) -> FastAPI:
    """An app serving ``runtime`` under ``/api/v1``, with ``/health``, ``/docs`` and OpenAPI;
    with ``gossip``, also the peering WebSocket other nodes dial."""
    app = FastAPI(
        docs_url=None,
        redoc_url=None,
        title="Plaza node",
        version="1",
        summary="A tangle ledger node: submit signed messages, read the tangle and its ledger.",
        lifespan=_background_lifespan(runtime, gossip),
    )
    serve_docs(app)
    app.state.runtime = runtime
    app.state.gossip = gossip
    app.state.api_config = config or ApiConfig()
    install_error_handlers(app)
    routers = (messages.router, ledger.router, events.router, peering.router, faucet.router)
    for router in routers:
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(_node)
    return app
