"""``plaza web run``: the web app as its own process, against a marketplace and a node.

It reads the one market's listings over the market's HTTP API and the ledger through the
node's (:mod:`plaza.bootstrap.web_remote`), relays the dashboard's signed requests to the
market, and keeps accounts in a database of its own (``PLAZA_WEB_ACCOUNTS_URL``, or SQLite
in ``--data-dir``). Its first line is its address, as ``plaza demo``'s is.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from plaza.bootstrap import SystemClock
from plaza.bootstrap.accounts import oidc_providers
from plaza.bootstrap.web import serve_web
from plaza.bootstrap.web_remote import LISTINGS_LIMIT, HttpListings, open_web_accounts
from plaza.clients.market import MarketClient
from plaza.settings import WebSettings
from plaza.web.sessions import WebAccounts
from plaza.web.tiles import TileServer

__all__ = ["web_app"]

web_app = typer.Typer(help="Serve the web app on its own.", no_args_is_help=True)

#: What the demo's web app shows that this one cannot, and why (one banner line).
ENERGY_LEFT_OUT = (
    "energy's book, twins, audits and dashboard are not served here: they read energy's "
    "marketplace backend, bid manager and user module, which run only inside plaza demo"
)


def _banner(url: str, market: str, node: str, accounts: str) -> None:
    typer.echo(f"Plaza web {url}  (marketplace, explorer, docs)")
    typer.echo(f"  marketplace API  {market}  (listings: its best {LISTINGS_LIMIT})")
    typer.echo(f"  node API         {node}")
    typer.echo(f"  accounts         {accounts}")
    typer.echo(f"  left out         {ENERGY_LEFT_OUT}")
    typer.echo("  Ctrl-C or SIGTERM stops it.")


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


@web_app.command("run")
def run(
    market: Annotated[
        str, typer.Option(envvar="PLAZA_WEB_MARKET", help="The marketplace's base URL.")
    ] = "http://127.0.0.1:8660",
    node: Annotated[
        str, typer.Option(envvar="PLAZA_WEB_NODE", help="A node's base URL.")
    ] = "http://127.0.0.1:8650",
    host: Annotated[str, typer.Option(help="Where the web app listens.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Its port (0: any).")] = 8000,
    data_dir: Annotated[
        Path, typer.Option(help="The accounts' API key pepper (and SQLite accounts).")
    ] = Path(".plaza/web"),
) -> None:
    """Serve the web app until Ctrl-C or SIGTERM (exit 0); a port it cannot take, exit 1."""
    settings = WebSettings()
    clock = SystemClock()
    url = settings.accounts_url
    accounts, close_accounts = open_web_accounts(
        data_dir / "accounts",
        clock,
        url=None if url is None else url.get_secret_value(),
        schema=settings.accounts_schema,
        providers=oidc_providers(settings.oidc_providers),
    )
    where = "SQLite in the data directory" if url is None else "PostgreSQL by URL"
    if url is not None and settings.accounts_schema:
        where += f", schema {settings.accounts_schema}"
    tiles = None
    if settings.tile_url is not None:
        tiles = TileServer(settings.tile_url, settings.tile_attribution)
    client = MarketClient(market, clock=clock)
    try:
        _serve(
            client, market, node, host, port, accounts_line=where, accounts=accounts, tiles=tiles
        )
    finally:
        client.close()
        close_accounts()


def _serve(
    client: MarketClient,
    market: str,
    node: str,
    host: str,
    port: int,
    *,
    accounts_line: str,
    accounts: WebAccounts,
    tiles: TileServer | None,
) -> None:
    try:
        server, node_client = serve_web(
            HttpListings(client),
            node,
            host=host,
            port=port,
            apis={"marketplace API": market, "node API": node},
            accounts=accounts,
            market_url=market,
            tiles=tiles,
        )
    except OSError as error:
        typer.echo(f"plaza web run: cannot listen on {host}:{port}: {error}", err=True)
        raise typer.Exit(1) from None
    stop = _stop_on_signals()
    try:
        with server:
            _banner(server.url, market, node, accounts_line)
            stop.wait()
    finally:
        node_client.close()
