"""The web app as a process of its own (``plaza web run``): what it reads over HTTP.

``plaza demo`` hands the web app its books in process (:mod:`plaza.bootstrap.web`). A web
app on its own machine reads the one market's public listings through the market's HTTP
API (:class:`HttpListings`, the same ``GET /orders`` anyone may read) and keeps its
people's accounts in a market database of its own, as the demo does: SQLite in its data
directory, or PostgreSQL by URL in a schema of its own, so that several web processes
share their accounts (:func:`open_web_accounts`). Energy's book, twins, audits and
dashboard read energy's marketplace backend, bid manager and user module, which run only
inside ``plaza demo``; they are not offered here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import text

from plaza.bootstrap.accounts import open_accounts
from plaza.clients.errors import ClientError, NotFoundError
from plaza.clients.market import MarketClient
from plaza.clock import Clock
from plaza.market.errors import OrderNotFound
from plaza.market.model import Order
from plaza.market.sql import make_engine
from plaza.web import Unavailable
from plaza.web.oidc import OidcProvider
from plaza.web.sessions import WebAccounts

__all__ = ["LISTINGS_LIMIT", "HttpListings", "open_web_accounts"]

#: The most listings one ``GET /orders`` answers with (the market API's own limit).
LISTINGS_LIMIT = 500
_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class HttpListings:
    """The one market's open listings read over its public HTTP API, as a web page reads a
    book: the best-priced :data:`LISTINGS_LIMIT` (the API pages no further). A market that
    does not answer is :class:`~plaza.web.Unavailable` (503), said on the page."""

    def __init__(self, client: MarketClient) -> None:
        self._client = client

    def orders(self) -> list[Order]:
        try:
            listed = self._client.orders(limit=LISTINGS_LIMIT)
        except ClientError as error:
            raise Unavailable(f"The marketplace is not answering: {error}") from error
        return sorted(listed, key=lambda order: order.accepted_at_ms)

    def order(self, order_id: str) -> Order:
        try:
            return self._client.order(order_id)
        except NotFoundError as missing:
            raise OrderNotFound(order_id) from missing
        except ClientError as error:
            raise Unavailable(f"The marketplace is not answering: {error}") from error


def _ensure_schema(url: str, schema: str) -> None:
    """PostgreSQL's ``schema`` made if missing: a web app's accounts live apart from the
    market's tables, so one server holds both without their migrations meeting."""
    if not _SCHEMA.fullmatch(schema):
        raise ValueError(f"{schema[:70]!r} is not a schema name (a-z, 0-9, _; 63 at most)")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    finally:
        engine.dispose()


def open_web_accounts(
    folder: Path,
    clock: Clock,
    *,
    url: str | None = None,
    schema: str | None = None,
    providers: Sequence[OidcProvider] = (),
) -> tuple[WebAccounts, Callable[[], None]]:
    """Accounts in ``folder``'s SQLite database, or at ``url`` (``postgresql://``, in
    ``schema`` when given, made if missing), keyed with ``folder``'s API key pepper; and
    what closes them."""
    if url is not None and schema is not None:
        _ensure_schema(url, schema)
    return open_accounts(folder, clock, providers=providers, database_url=url, schema=schema)
