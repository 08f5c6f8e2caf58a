"""OpenID Connect login over real HTTP, against the tests' provider on loopback: the round
trip (state, nonce, PKCE, a signed ID token), linking and creating accounts, and every
way a login that should not complete is refused."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from account_site import AccountSite, serve_account_site, sign_up
from market_server import RunningMarket, serve_market
from oidc_provider import LoopbackProvider, User, serve_provider


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMarket]:
    with serve_market(tmp_path_factory.mktemp("market")) as running:
        yield running


@pytest.fixture
def provider() -> Iterator[LoopbackProvider]:
    with serve_provider() as running:
        yield running


@pytest.fixture
def site(market: RunningMarket, provider: LoopbackProvider) -> Iterator[AccountSite]:
    with serve_account_site(market, provider) as running:
        yield running


@pytest.fixture
def http(site: AccountSite) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, timeout=10) as client:
        yield client


def _round_trip(http: httpx.Client) -> httpx.Response:
    """Start at the web app, let the provider log in, and come back: the callback's answer."""
    start = http.get("/login/oidc/test")
    assert start.status_code == 303
    at_provider = http.get(start.headers["location"])
    assert at_provider.status_code == 303
    return http.get(at_provider.headers["location"])


def test_the_authorization_request_carries_state_nonce_and_pkce(
    site: AccountSite, http: httpx.Client
) -> None:
    start = http.get("/login/oidc/test")
    location = httpx.URL(start.headers["location"])
    asked = dict(location.params)
    assert str(location).startswith(site.provider.issuer + "/authorize?")
    assert asked["code_challenge_method"] == "S256"
    assert len(asked["state"]) >= 32
    assert len(asked["nonce"]) >= 32
    assert asked["redirect_uri"] == site.url + "/login/oidc/test/callback"
    assert "plaza_oidc" in start.headers["set-cookie"]
    assert "HttpOnly" in start.headers["set-cookie"]


def test_a_first_login_creates_the_account_and_the_next_finds_it(
    site: AccountSite, http: httpx.Client
) -> None:
    site.provider.user = User("sub-new", "new.oidc@example.org")
    back = _round_trip(http)
    assert back.status_code == 303
    assert back.headers["location"] == "/account"
    page = http.get("/account").text
    assert "new.oidc@example.org" in page
    account = site.accounts.service.accounts.by_identity(site.provider.issuer, "sub-new")
    assert account is not None
    assert account.password_hash is None
    http.cookies.clear()
    assert _round_trip(http).status_code == 303
    assert account.user_id in http.get("/account").text


def test_a_login_links_the_account_with_the_verified_email(
    site: AccountSite, http: httpx.Client
) -> None:
    sign_up(http, "linked.person@example.org")
    mine = site.accounts.service.accounts.by_email("linked.person@example.org")
    assert mine is not None
    http.cookies.clear()
    site.provider.user = User("sub-linked", "Linked.Person@example.org")
    assert _round_trip(http).status_code == 303
    assert mine.user_id in http.get("/account").text


def test_an_unverified_email_neither_links_nor_creates(
    site: AccountSite, http: httpx.Client
) -> None:
    sign_up(http, "careful.person@example.org")
    http.cookies.clear()
    site.provider.user = User("sub-unverified", "careful.person@example.org", email_verified=False)
    back = _round_trip(http)
    assert back.status_code == 400
    assert "gave no usable email" in back.text
    assert http.get("/account").status_code == 303


@pytest.mark.parametrize("tamper", ["nonce", "audience", "issuer", "expired", "signature"])
def test_an_id_token_that_does_not_verify_logs_nobody_in(
    site: AccountSite, http: httpx.Client, tamper: str
) -> None:
    site.provider.tamper = tamper
    site.provider.user = User(f"sub-{tamper}", f"{tamper}@example.org")
    back = _round_trip(http)
    assert back.status_code == 400
    assert "ID token did not verify" in back.text or "another client" in back.text
    assert "plaza_session" not in http.cookies
    assert site.accounts.service.accounts.by_email(f"{tamper}@example.org") is None


def test_a_callback_this_browser_did_not_start_is_refused(
    site: AccountSite, http: httpx.Client
) -> None:
    start = http.get("/login/oidc/test")
    at_provider = http.get(start.headers["location"])
    callback = at_provider.headers["location"]
    with httpx.Client(timeout=10) as other_browser:  # no state cookie: a forged callback
        refused = other_browser.get(callback)
    assert refused.status_code == 400
    assert "not one this browser started" in refused.text
    assert http.get(callback).status_code == 303  # the browser that started it goes on
    replayed = http.get(callback)
    assert replayed.status_code == 400  # and each state works once
    assert "or was used" in replayed.text


def test_a_provider_error_and_an_unknown_provider(http: httpx.Client) -> None:
    denied = http.get("/login/oidc/test/callback", params={"error": "access_denied"})
    assert denied.status_code == 400
    assert "access_denied" in denied.text
    assert http.get("/login/oidc/nobody").status_code == 404


def test_the_login_page_offers_the_provider(http: httpx.Client) -> None:
    page = http.get("/login").text
    assert 'href="/login/oidc/test"' in page
    assert "Test ID" in page
