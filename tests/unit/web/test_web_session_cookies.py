"""The session cookie's flags: HttpOnly and SameSite=Lax always, Secure when the page was
served over https (the integration tests run over http, so the https case is here)."""

from __future__ import annotations

import pytest
from fastapi import Request, Response

from plaza.web.sessions import SESSION_COOKIE, end_session_cookie, set_cookie


def _request(scheme: str) -> Request:
    scope = {
        "type": "http",
        "scheme": scheme,
        "method": "GET",
        "path": "/",
        "query_string": b"",
        "headers": [(b"host", b"plaza.example")],
        "server": ("plaza.example", 443 if scheme == "https" else 80),
    }
    return Request(scope)


@pytest.mark.parametrize(("scheme", "secure"), [("https", True), ("http", False)])
def test_session_cookies_are_httponly_lax_and_secure_over_https(scheme: str, secure: bool) -> None:
    response = Response()
    set_cookie(_request(scheme), response, SESSION_COOKIE, "token")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("plaza_session=token;")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert ("Secure" in cookie) is secure
    assert "Max-Age" not in cookie  # the server's record expires; the browser forgets on close
    ended = Response()
    end_session_cookie(_request(scheme), ended)
    assert 'plaza_session=""' in ended.headers["set-cookie"]
    assert ("Secure" in ended.headers["set-cookie"]) is secure
