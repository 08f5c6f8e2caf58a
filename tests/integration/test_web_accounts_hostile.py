"""Hostile input to the account pages is the web app's own 4xx, never a 500: bodies that are
not forms, not UTF-8, too big or too many fields, odd values with a valid session and
token, and odd OpenID Connect addresses; the server logs no error."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from account_site import AccountSite, csrf_of, serve_account_site, sign_up
from market_server import serve_market
from oidc_provider import serve_provider

POSTS = ["/signup", "/login", "/logout", "/account/keys", "/account/keys/x/revoke"]
FORM = {"content-type": "application/x-www-form-urlencoded"}
BODIES: list[tuple[bytes, dict[str, str]]] = [
    (b"\xff\xfe\x00", FORM),
    (b"a=1&" * 100, FORM),
    (b"x" * 20_000, FORM),
    (b"csrf=%FF%FE&email=%00&password=%C3", FORM),
    (b"", FORM),
    (b'{"email": "x"}', {"content-type": "application/json"}),
    (b"--b\r\n\r\n--b--", {"content-type": "multipart/form-data; boundary=b"}),
    (b"email=x", {}),
]
GETS = [
    "/login/oidc/%C3%9C",
    "/login/oidc/" + "x" * 5_000,
    "/login/oidc/test/callback?code=x&state=%C3%9C",
    "/login/oidc/test/callback?code=" + "x" * 5_000 + "&state=" + "y" * 5_000,
    "/login/oidc/test/callback?error=%00%01",
    "/login?expired=%00",
    "/account?x=%FF",
]


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def server_errors() -> Iterator[list[str]]:
    handler = _Errors()
    logging.getLogger().addHandler(handler)
    try:
        yield handler.lines
    finally:
        logging.getLogger().removeHandler(handler)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AccountSite]:
    with (
        serve_market(tmp_path_factory.mktemp("market")) as market,
        serve_provider() as provider,
        serve_account_site(market, provider) as running,
    ):
        yield running


def test_hostile_bodies_are_4xx_logged_in_or_not(
    site: AccountSite, server_errors: list[str]
) -> None:
    with httpx.Client(base_url=site.url, timeout=10) as http:
        for logged_in in (False, True):
            if logged_in:
                assert sign_up(http, "hostile@example.org").status_code == 303
            for path in POSTS:
                for body, headers in BODIES:
                    reply = http.post(path, content=body, headers=headers)
                    assert 400 <= reply.status_code < 500, (path, body[:40], reply.status_code)
        assert "hostile@example.org" in http.get("/account").text  # still logged in
    assert server_errors == []


def test_odd_values_with_a_valid_token_are_4xx(site: AccountSite, server_errors: list[str]) -> None:
    with httpx.Client(base_url=site.url, timeout=10) as http:
        sign_up(http, "odd.values@example.org")
        token = csrf_of(http.get("/account").text)
        for name in ("\x00", "x" * 5_000, "\u202e", " "):
            reply = http.post("/account/keys", data={"csrf": token, "name": name})
            assert reply.status_code == 400, name[:10]
        for key_id in ("%C3%9C", "x" * 1_000, "..", "0" * 16):
            reply = http.post(f"/account/keys/{key_id}/revoke", data={"csrf": token})
            assert reply.status_code == 404, key_id[:10]
        http.cookies.delete("plaza_session")
        for email, password in (("a" * 300 + "@example.org", "p" * 300), ("\x00@x.y", "\x00")):
            login = csrf_of(http.get("/login").text)
            answer = http.post("/login", data={"csrf": login, "email": email, "password": password})
            assert answer.status_code == 401
            signup = csrf_of(http.get("/signup").text)
            form = {"csrf": signup, "email": email, "password": password, "confirm": password}
            assert http.post("/signup", data=form).status_code == 400
    assert server_errors == []


def test_odd_oidc_addresses_are_4xx(site: AccountSite, server_errors: list[str]) -> None:
    with httpx.Client(base_url=site.url, timeout=10) as http:
        for path in GETS:
            reply = http.get(path)
            assert reply.status_code < 500, (path[:60], reply.status_code)
    assert server_errors == []
