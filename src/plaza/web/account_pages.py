"""Sign up, log in, log out, and the account page with its API keys.

Every POST reads its form (:func:`~plaza.web.forms.form_of`), checks the CSRF token
(:func:`~plaza.web.sessions.check_csrf`) before anything else, and answers bad input
with the same page, a message beside each field to fix, and a 4xx status: nothing
changed. A successful POST redirects (303), except a new API key: its secret is shown
on the answer itself, once, and is in no address or log.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from plaza.market.accounts import (
    AccountError,
    AccountLocked,
    InvalidInput,
    LoggedIn,
    TooManyAttempts,
    WrongCredentials,
)
from plaza.market.auth import (
    ApiKeyNotFound,
    AuthError,
    Forbidden,
    InvalidApiKeyName,
    IssuedApiKey,
)
from plaza.web.errors import NotAllowed, PageNotFound
from plaza.web.forms import form_of
from plaza.web.pages import pages_of
from plaza.web.sessions import (
    SESSION_COOKIE,
    WebAccounts,
    accounts_of,
    check_csrf,
    client_address,
    end_session_cookie,
    set_cookie,
    viewer_of,
)

__all__ = ["logged_in", "login_problem", "router"]

router = APIRouter()
Form = Annotated[dict[str, str], Depends(form_of)]
_EXPIRED = "Your session has expired: please log in again."
_NO_STORE = {"cache-control": "no-store"}
#: Where a login may go on to: a path on this site (never ``//host`` or a backslash, which
#: browsers read as another site), so ``?next=`` cannot send a person elsewhere.
_LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9/_.~%?=&+-]{0,300}")


def _accounts(request: Request) -> WebAccounts:
    accounts = accounts_of(request)
    if accounts is None:
        raise PageNotFound("Accounts are not enabled on this site.")
    return accounts


def _page(
    request: Request, name: str, title: str, status: int = 200, **context: Any
) -> HTMLResponse:
    accounts = _accounts(request)
    defaults: dict[str, Any] = {"title": title, "problems": {}, "message": "", "email": ""}
    defaults["providers"] = accounts.providers
    response = pages_of(request).render(request, name, {**defaults, **context}, status=status)
    response.headers.update(_NO_STORE)
    return response


def logged_in(request: Request, login: LoggedIn, to: str = "/account") -> Response:
    """Where a login lands: the account page, with the new session's cookie set; a session
    the browser had before ends (a token someone planted or saw dies with the login)."""
    earlier = request.cookies.get(SESSION_COOKIE)
    if earlier:
        _accounts(request).service.log_out(earlier)
    response = RedirectResponse(to, status_code=303)
    set_cookie(request, response, SESSION_COOKIE, login.token)
    return response


def login_problem(request: Request, message: str, status: int) -> Response:
    """The login page saying what went wrong (a provider's login that did not complete)."""
    return _login(request, status, message=message)


def _login(request: Request, status: int = 200, **context: Any) -> Response:
    """The login page; where it goes on to is given by the caller, or nowhere special."""
    context.setdefault("next", "")
    return _page(request, "account/login.html", "Log in", status, **context)


def _signup(request: Request, status: int = 200, **context: Any) -> Response:
    return _page(request, "account/signup.html", "Sign up", status, **context)


@router.get("/signup", response_class=HTMLResponse, include_in_schema=False)
def signup_page(request: Request) -> Response:
    return _signup(request)


@router.post("/signup", include_in_schema=False)
def signup(request: Request, form: Form) -> Response:
    accounts = _accounts(request)
    check_csrf(request, form)
    email = form.get("email", "")
    fields = (email, form.get("password", ""), form.get("confirm", ""))
    try:
        account = accounts.service.sign_up(*fields, address=client_address(request))
    except InvalidInput as bad:
        return _signup(request, 400, problems=bad.problems, email=email)
    except TooManyAttempts as busy:
        return _signup(request, 429, message=busy.message, email=email)
    return logged_in(request, accounts.service.open_session(account))


def _next(wanted: str) -> str:
    """The page a login goes on to: ``wanted`` if it is a path on this site, else the
    account page (a page that needs a login links to ``/login?next=<itself>``)."""
    return wanted if _LOCAL_PATH.fullmatch(wanted) else "/account"


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, expired: str = "", next: str = "") -> Response:
    viewer = viewer_of(request)
    if viewer.account is not None:
        return RedirectResponse(_next(next), status_code=303)
    message = _EXPIRED if expired or viewer.expired else ""
    return _login(request, message=message, next=_next(next))


@router.post("/login", include_in_schema=False)
def login(request: Request, form: Form) -> Response:
    accounts = _accounts(request)
    check_csrf(request, form)
    email, to = form.get("email", ""), _next(form.get("next", ""))
    try:
        login = accounts.service.log_in(
            email, form.get("password", ""), address=client_address(request)
        )
    except WrongCredentials as wrong:
        return _login(request, 401, message=wrong.message, email=email, next=to)
    except (AccountLocked, TooManyAttempts) as later:
        return _login(request, 429, message=later.message, email=email, next=to)
    return logged_in(request, login, to)


@router.post("/logout", include_in_schema=False)
def logout(request: Request, form: Form) -> Response:
    accounts = _accounts(request)
    if viewer_of(request).expired:  # nothing left to end; its form's token died with it
        response: Response = RedirectResponse("/login?expired=1", status_code=303)
    else:
        check_csrf(request, form)
        accounts.service.log_out(request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse("/login", status_code=303)
    end_session_cookie(request, response)
    return response


def _account_page(request: Request, status: int = 200, **context: Any) -> Response:
    """The account page, or the login page's address when nobody is logged in."""
    accounts = _accounts(request)
    viewer = viewer_of(request)
    if viewer.account is None:
        to = "/login?expired=1" if viewer.expired else "/login"
        response = RedirectResponse(to, status_code=303)
        if viewer.expired:
            end_session_cookie(request, response)
        return response
    keys = accounts.keys.list(viewer.account)
    roles = sorted(accounts.keys.acting_as(viewer.account).roles)
    context = {
        "account": viewer.account,
        "roles": roles,
        "keys": keys,
        "market_api": accounts.market_api,
    } | context
    return _page(request, "account/account.html", "Your account", status, **context)


@router.get("/account", include_in_schema=False)
def account_page(request: Request) -> Response:
    return _account_page(request)


@router.post("/account/keys", include_in_schema=False)
def create_key(request: Request, form: Form) -> Response:
    accounts = _accounts(request)
    viewer = check_csrf(request, form)
    if viewer.account is None:
        return _account_page(request)
    name = form.get("name", "")
    try:
        issued: IssuedApiKey = accounts.keys.create(viewer.account, name)
    except (AuthError, AccountError) as bad:
        problems = {"name": _key_problem(bad)}
        return _account_page(request, 400, problems=problems, key_name=name)
    return _account_page(request, 201, issued=issued)


def _key_problem(error: Exception) -> str:
    if isinstance(error, InvalidApiKeyName):
        return "give the key a name of 1 to 100 printable characters"
    return str(error)


@router.post("/account/keys/{key_id}/revoke", include_in_schema=False)
def revoke_key(request: Request, key_id: str, form: Form) -> Response:
    accounts = _accounts(request)
    viewer = check_csrf(request, form)
    if viewer.account is None:
        return _account_page(request)
    try:
        accounts.keys.revoke(viewer.account, key_id)
    except ApiKeyNotFound:
        raise PageNotFound(f"You have no API key {key_id}.") from None
    return RedirectResponse("/account", status_code=303)


@router.post("/account/auditors", include_in_schema=False)
def make_auditor(request: Request, form: Form) -> Response:
    """An operator makes another account an auditor; the account service checks the role."""
    accounts = _accounts(request)
    viewer = check_csrf(request, form)
    if viewer.account is None:
        return _account_page(request)
    email = form.get("email", "")
    try:
        made = accounts.service.make_auditor(viewer.account, email)
    except Forbidden:
        raise NotAllowed("Only an operator may make auditors. Nothing was changed.") from None
    except InvalidInput as bad:
        return _account_page(request, 400, problems=bad.problems, auditor_email=email)
    return _account_page(request, made_auditor=made.email)
