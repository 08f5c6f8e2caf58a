"""OpenID Connect login pages: ``/login/oidc/{name}`` sends the browser to the provider,
``/login/oidc/{name}/callback`` takes it back, logged in (:mod:`plaza.web.oidc`).

The callback changes state on a GET, as the protocol has it; what stands in for the
CSRF token there is the ``state``, which must be the one this browser's cookie holds.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from plaza.market.accounts import AccountError
from plaza.web.account_pages import logged_in, login_problem
from plaza.web.errors import PageNotFound
from plaza.web.oidc import OidcClient, OidcFailed
from plaza.web.sessions import accounts_of, set_cookie

__all__ = ["router"]

router = APIRouter()
_STATE_COOKIE = "plaza_oidc"


def _client(request: Request, name: str) -> OidcClient:
    accounts = accounts_of(request)
    if accounts is None or accounts.oidc is None or name not in accounts.oidc.providers:
        raise PageNotFound(f"There is no login provider {name!r} here.")
    return accounts.oidc


@router.get("/login/oidc/{name}", include_in_schema=False)
def start(request: Request, name: str) -> Response:
    client = _client(request, name)
    redirect_uri = str(request.url_for("oidc_callback", name=name))
    try:
        url, pending = client.begin(name, redirect_uri)
    except OidcFailed as failed:
        return login_problem(request, failed.message, 502)
    response = RedirectResponse(url, status_code=303)
    set_cookie(request, response, _STATE_COOKIE, pending.state)
    return response


@router.get("/login/oidc/{name}/callback", name="oidc_callback", include_in_schema=False)
def callback(request: Request, name: str, state: str = "", code: str = "") -> Response:
    client = _client(request, name)
    accounts = accounts_of(request)
    assert accounts is not None
    if not code:
        why = request.query_params.get("error", "no code")
        return login_problem(request, f"The provider did not log you in ({why[:100]}).", 400)
    try:
        who = client.finish(name, state, code, request.cookies.get(_STATE_COOKIE, ""))
        login = accounts.service.log_in_with_identity(who.issuer, who.subject, who.email)
    except OidcFailed as failed:
        return login_problem(request, failed.message, 400)
    except AccountError as refused:
        return login_problem(request, refused.message, 400)
    response = logged_in(request, login)
    response.delete_cookie(_STATE_COOKIE, path="/")
    return response
