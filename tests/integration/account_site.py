"""The web app with accounts on a real marketplace's database, and a test OIDC provider.

:func:`serve_account_site` serves :func:`plaza.web.create_web_app` with
:func:`plaza.bootstrap.accounts.web_accounts` over the database and API key pepper of a
marketplace :func:`market_server.serve_market` runs, so a key made on the web is checked by
that marketplace's API; OpenID Connect logins go to the provider of
``tests/support/oidc_provider.py``. Time is a FakeClock starting now, for the lockout and
session expiry; the forms are driven with httpx over real HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from market_server import RunningMarket
from oidc_provider import CLIENT_ID, CLIENT_SECRET, LoopbackProvider
from web_server import web_book

from plaza.api.serving import ThreadedServer
from plaza.bootstrap import SystemClock
from plaza.bootstrap.accounts import web_accounts
from plaza.bootstrap.market_files import MarketDataDir
from plaza.clients.node import NodeClient
from plaza.crypto.passwords import FAST_FOR_TESTS
from plaza.market.accounts import LoginPolicy
from plaza.market.sql import make_engine
from plaza.testing import FakeClock
from plaza.web import WebSources, create_web_app
from plaza.web.oidc import OidcProvider
from plaza.web.sessions import WebAccounts

PASSWORD = "a password long enough"


@dataclass
class AccountSite:
    url: str
    clock: FakeClock
    accounts: WebAccounts
    market: RunningMarket
    provider: LoopbackProvider


@contextmanager
def serve_account_site(
    market: RunningMarket, provider: LoopbackProvider, policy: LoginPolicy | None = None
) -> Iterator[AccountSite]:
    clock = FakeClock(SystemClock().now_ms())
    data = MarketDataDir(market.data_dir)
    engine = make_engine(data.database_url)
    test_id = OidcProvider("test", "Test ID", provider.issuer, CLIENT_ID, CLIENT_SECRET)
    accounts = web_accounts(
        engine,
        data.pepper(),
        clock,
        providers=[test_id],
        market_api=market.url,
        policy=policy,
        hasher=FAST_FOR_TESTS,
    )
    node = NodeClient("http://127.0.0.1:9")  # no node: these pages read none
    app = create_web_app(WebSources(book=web_book(), node=node), accounts=accounts)
    try:
        with ThreadedServer(app) as server:
            yield AccountSite(server.url, clock, accounts, market, provider)
    finally:
        assert accounts.oidc is not None
        accounts.oidc.close()
        node.close()
        engine.dispose()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


def sign_up(
    http: httpx.Client, email: str, password: str = PASSWORD, confirm: str | None = None
) -> httpx.Response:
    token = csrf_of(http.get("/signup").text)
    form = {"csrf": token, "email": email, "password": password, "confirm": confirm or password}
    return http.post("/signup", data=form)


def log_in(http: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    token = csrf_of(http.get("/login").text)
    return http.post("/login", data={"csrf": token, "email": email, "password": password})


def problem_beside(html: str, field: str) -> str:
    """The message shown beside ``field`` ('' if none)."""
    found = re.search(rf'id="a-{field}-problem">([^<]*)<', html)
    return "" if found is None else found.group(1)
