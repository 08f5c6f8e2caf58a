"""``plaza market run --workers N``: several marketplace processes on one PostgreSQL database.

The parent prepares once what the workers must find made (the data directory's keys
and pepper, the migrated schema, a journal file of an older version moved in, matches
reconciled), then hands the socket to uvicorn's supervisor, which starts ``N`` workers
and replaces one that dies. Each worker builds its own marketplace from the same
``PLAZA_MARKET_*`` settings in :func:`worker_app`; the book's journal, held through a
PostgreSQL advisory lock for each step, is what makes them one marketplace.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError
from uvicorn import Config
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from plaza.bootstrap import MarketRuntime, build_market
from plaza.settings import MarketSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["ENV_PREFIX", "serve_workers", "shared_database_problem", "worker_app"]

ENV_PREFIX = "PLAZA_MARKET_"
#: uvicorn imports this in each worker and calls it there (``factory=True``).
_FACTORY = "plaza.cli._market_workers:worker_app"


def shared_database_problem(settings: MarketSettings) -> str | None:
    """Why these settings cannot serve several workers, or ``None`` when they can.

    Never quotes the URL: it may hold a password."""
    why = "the workers share one database, and SQLite is for one process"
    if settings.database_url is None:
        return f"several workers need a PostgreSQL --database-url ({why})"
    try:
        backend = make_url(settings.database_url.get_secret_value()).get_backend_name()
    except ArgumentError:
        backend = None
    if backend != "postgresql":
        return f"several workers need a postgresql:// --database-url ({why})"
    return None


def export_settings(overrides: Mapping[str, Any]) -> None:
    """Put the options given on the command line where the workers read their settings.

    Workers start fresh interpreters that inherit this environment: what the parent's
    environment already said reaches them unchanged, and an option overrides it, as it
    did for the parent."""
    for name, value in overrides.items():
        if value is not None:
            os.environ[ENV_PREFIX + name.upper()] = str(value)


def serve_workers(settings: MarketSettings, workers: int) -> int:
    """Serve with ``workers`` processes until interrupted; the exit code.

    A worker that dies is replaced; one that fails to start stops them all (it would
    fail the same way again), and the code says so."""
    config = Config(
        _FACTORY,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level="warning",
        timeout_graceful_shutdown=2,  # open event streams must not hold shutdown forever
    )
    socket = config.bind_socket()
    supervisor = Multiprocess(config, sockets=[socket])
    try:
        supervisor.run()
    finally:
        socket.close()
    failed = any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes)
    return STARTUP_FAILURE if failed else 0


def worker_app() -> FastAPI:
    """One worker's app: its own marketplace, closed once the app has stopped serving."""
    runtime = build_market(MarketSettings())
    try:
        app = runtime.app()
    except BaseException:
        runtime.close()
        raise
    _close_after_serving(app, runtime)
    return app


def _close_after_serving(app: FastAPI, runtime: MarketRuntime) -> None:
    """Wrap the app's lifespan (its background threads), so the runtime they use is closed
    after they have stopped, in the worker that built it."""
    serving = app.router.lifespan_context
    console = Console(stderr=True)

    @asynccontextmanager
    async def lifespan(served: Any) -> AsyncIterator[Any]:
        try:
            async with serving(served) as state:
                console.print(f"plaza market: worker {os.getpid()} serving")
                yield state
        finally:
            runtime.close()

    app.router.lifespan_context = lifespan
