"""The dashboard and its relay to the marketplace, over real HTTP: behind login, every change
with the page's CSRF token, only the marketplace API's paths, and the signed request passed
on unchanged, so the marketplace verifies the person's own signature (a forged one is its
401, relayed) and the web app adds no credential of its own.

A real marketplace (SQLite, no node) and the web app over it, on uvicorn.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator

import httpx
import pytest
from account_site import csrf_of, sign_up
from market_server import RunningMarket, serve_market
from node_server import RunningNode
from web_server import RunningWeb, memory_accounts, serve_web_app

from plaza.bootstrap import SystemClock
from plaza.crypto import Identity
from plaza.market.auth import Role, sign_registration, sign_request

RELAY = "/dashboard/market/api/v1/market"
HOUR_MS = 3_600_000


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMarket]:
    with serve_market(tmp_path_factory.mktemp("market")) as running:
        yield running


@pytest.fixture(scope="module")
def web(node: RunningNode, market: RunningMarket) -> Iterator[RunningWeb]:
    accounts = memory_accounts(SystemClock())
    with serve_web_app(node.url, "00" * 32, accounts=accounts, market_url=market.url) as running:
        yield running


@pytest.fixture
def person(web: RunningWeb) -> Iterator[tuple[httpx.Client, str]]:
    """A logged-in browser and its page's CSRF token."""
    with httpx.Client(base_url=web.url, timeout=10) as http:
        # A fresh address each time: id(http) may come back once a client is freed, and a
        # taken address would leave this browser logged out.
        sign_up(http, f"trader-{secrets.token_hex(6)}@example.org")
        yield http, csrf_of(http.get("/dashboard").text)


def _signed(identity: Identity, audience: str, path: str, body: bytes) -> dict[str, str]:
    return sign_request(
        identity.signing,
        audience=audience,
        method="POST",
        path="/api/v1/market" + path,
        body=body,
        clock=SystemClock(),
    )


def test_the_dashboard_is_behind_login(web: RunningWeb) -> None:
    with httpx.Client(base_url=web.url, timeout=10) as http:
        sent = http.get("/dashboard")
        assert (sent.status_code, sent.headers["location"]) == (303, "/login")
        relayed = http.get(RELAY + "/info")
        assert relayed.status_code == 401
        assert relayed.json() == {"error": "log in to use the marketplace from your dashboard"}


def test_the_page_says_what_needs_javascript_and_lets_libsodium_run(
    person: tuple[httpx.Client, str],
) -> None:
    http, _ = person
    page = http.get("/dashboard")
    assert page.status_code == 200
    assert "'wasm-unsafe-eval'" in page.headers["content-security-policy"]
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    assert "signs your orders in your browser, which needs JavaScript" in page.text
    assert 'data-kind="energy"' in page.text  # the energy vertical's fields
    assert 'data-quantity-unit="Wh" data-price-unit="coins per kWh"' in page.text
    assert 'href="/dashboard" aria-current="page"' in page.text


def test_a_signed_order_passes_through_to_the_marketplace_unchanged(
    person: tuple[httpx.Client, str], market: RunningMarket
) -> None:
    http, token = person
    info = http.get(RELAY + "/info").json()
    audience = info["audience"]
    identity = Identity.generate()
    registration = sign_registration(
        identity.signing,
        identity.encryption.public_key,
        display_name="relayed",
        roles=[Role.PROVIDER],
        audience=audience,
        clock=SystemClock(),
    )
    made = registration.registration
    body = {
        "signing_key": made.signing_key.raw.hex(),
        "encryption_key": made.encryption_key.raw.hex(),
        "display_name": made.display_name,
        "roles": sorted(made.roles),
        "issued_at_ms": made.issued_at_ms,
        "signature": registration.signature.hex(),
    }
    csrf = {"x-csrf-token": token}
    assert http.post(RELAY + "/participants", json=body).status_code == 403  # no token
    registered = http.post(RELAY + "/participants", json=body, headers=csrf)
    assert registered.status_code == 201, registered.text
    now = SystemClock().now_ms()
    order = {
        "kind": "energy",
        "quantity": 1_500,
        "unit_price": 20,
        "valid_from_ms": now,
        "valid_until_ms": now + HOUR_MS,
    }
    raw = json.dumps(order).encode()
    headers = {**_signed(identity, audience, "/offers", raw), "content-type": "application/json"}
    refused = http.post(RELAY + "/offers", content=raw, headers=headers)
    assert refused.status_code == 403  # signed, but without the page's token: not sent on
    forged = {**headers, **csrf, "X-Plaza-Signature": "00" * 64}
    bad = http.post(RELAY + "/offers", content=raw, headers=forged)
    assert (bad.status_code, bad.json()["error"]["code"]) == (401, "bad_request_signature")
    placed = http.post(RELAY + "/offers", content=raw, headers={**headers, **csrf})
    assert placed.status_code == 201, placed.text
    owner = placed.json()["order"]["owner"]
    assert owner == str(identity.signing.public_key.address)
    listed = httpx.get(market.url + "/api/v1/market/orders", params={"kind": "energy"}).json()
    mine = [o["id"] for o in listed["items"] if o["owner"] == owner]
    assert mine == [placed.json()["order"]["id"]]  # at the marketplace, signed by its owner
    again = http.post(RELAY + "/offers", content=raw, headers={**headers, **csrf})
    assert (again.status_code, again.json()["error"]["code"]) == (401, "replayed_request")


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/market/health",
        "/dashboard/market/api/v1/node/info",
        "/dashboard/market/api/v1/market/%2E%2E/%2E%2E/health",
        "/dashboard/market/api/v1/market//info",
    ],
)
def test_only_the_marketplace_api_is_relayed(person: tuple[httpx.Client, str], path: str) -> None:
    http, _ = person
    refused = http.get(path)
    assert refused.status_code == 404
    assert refused.json() == {"error": "not a path of the marketplace's API"}


def test_too_large_a_body_is_refused_before_it_is_sent(person: tuple[httpx.Client, str]) -> None:
    http, token = person
    sent = http.post(RELAY + "/offers", content=b"x" * 70_000, headers={"x-csrf-token": token})
    assert sent.status_code == 413


def test_without_a_marketplace_the_dashboard_says_so(node: RunningNode) -> None:
    accounts = memory_accounts(SystemClock())
    with (
        serve_web_app(node.url, "00" * 32, accounts=accounts) as alone,
        httpx.Client(base_url=alone.url, timeout=10) as http,
    ):
        sign_up(http, "alone@example.org")
        assert "not connected to a marketplace" in http.get("/dashboard").text
        assert http.get(RELAY + "/info").status_code == 404
    accounts = memory_accounts(SystemClock())
    with (
        serve_web_app(
            node.url, "00" * 32, accounts=accounts, market_url="http://127.0.0.1:9"
        ) as down,
        httpx.Client(base_url=down.url, timeout=10) as http,
    ):
        sign_up(http, "down@example.org")
        answered = http.get(RELAY + "/info")
        assert answered.status_code == 503
        assert "does not answer" in answered.json()["error"]
