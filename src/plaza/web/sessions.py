"""Who is browsing, and whether a form they sent is one this site gave them.

**Sessions.** Logging in sets ``plaza_session``: a random token, HttpOnly,
SameSite=Lax, Secure when the page was served over https; the server keeps only
its hash and expiry (:class:`plaza.market.accounts.AccountService`). A page learns
who is browsing from :func:`viewer_of` (cached on the request).

**CSRF.** Every form that changes something carries a hidden ``csrf`` field,
checked on POST (:func:`check_csrf`), synchronizer-style: the token is an HMAC,
under a key only the server knows, of the browser's session token or, before
login, of a random ``plaza_csrf`` cookie the login and sign-up pages set. Another
site can make a browser send the cookies but can neither read them nor compute
the token, so its forged form gets 403 and changes nothing.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from hashlib import sha256

from fastapi import Request, Response

from plaza.market.accounts import (
    Account,
    AccountKeys,
    AccountService,
    SessionExpired,
    WalletBackups,
)
from plaza.web.errors import WebError
from plaza.web.oidc import OidcClient, OidcProvider

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "CsrfRefused",
    "Viewer",
    "WebAccounts",
    "check_csrf",
    "client_address",
    "end_session_cookie",
    "set_cookie",
    "viewer_of",
]

SESSION_COOKIE = "plaza_session"
CSRF_COOKIE = "plaza_csrf"


@dataclass(frozen=True)
class WebAccounts:
    """What the account pages need: the market's accounts and keys, the wallet backups they
    keep (``None``: none), the key CSRF tokens are made with, the OpenID Connect providers'
    client (``None``: none configured; whoever made it closes it), and where the market
    API is (shown to people who make a key)."""

    service: AccountService
    keys: AccountKeys
    backups: WalletBackups | None = None
    csrf_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    oidc: OidcClient | None = None
    market_api: str | None = None

    @property
    def providers(self) -> Sequence[OidcProvider]:
        return () if self.oidc is None else tuple(self.oidc.providers.values())


class CsrfRefused(WebError):
    """A form without this site's token for this browser: 403, and nothing changed."""

    status = 403

    def __init__(self) -> None:
        super().__init__(
            "This form was refused: it did not carry this site's security token for your "
            "browser (CSRF check). Nothing was changed. Reload the page and send it again."
        )


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is browsing: ``account`` (``None``: nobody logged in), whether their session just
    expired, and the CSRF token their forms carry (``""``: accounts are off)."""

    account: Account | None = None
    expired: bool = False
    csrf: str = ""
    _new_csrf_cookie: str | None = None


def _token(key: bytes, purpose: str, secret: str) -> str:
    return hmac.new(key, f"{purpose}:{secret}".encode(), sha256).hexdigest()


def accounts_of(request: Request) -> WebAccounts | None:
    accounts: WebAccounts | None = request.app.state.accounts
    return accounts


def viewer_of(request: Request) -> Viewer:
    """Who is browsing (once per request: later calls read ``request.state``)."""
    cached: Viewer | None = getattr(request.state, "viewer", None)
    if cached is None:
        cached = request.state.viewer = _resolve(request)
    return cached


def _resolve(request: Request) -> Viewer:
    accounts = accounts_of(request)
    if accounts is None:
        return Viewer()
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            account = accounts.service.session(token)
        except SessionExpired:
            return _anonymous(request, accounts, expired=True)
        if account is not None:
            return Viewer(account, csrf=_token(accounts.csrf_key, "session", token))
    return _anonymous(request, accounts)


def _anonymous(request: Request, accounts: WebAccounts, *, expired: bool = False) -> Viewer:
    seed = request.cookies.get(CSRF_COOKIE)
    fresh = None
    if not seed:
        seed = fresh = secrets.token_urlsafe(32)
    return Viewer(None, expired, _token(accounts.csrf_key, "anonymous", seed), fresh)


def remember_viewer(request: Request, response: Response) -> None:
    """Set the cookies a page's viewer needs: a new CSRF seed, or the end of an expired
    session (so the next page does not say it expired again)."""
    viewer: Viewer | None = getattr(request.state, "viewer", None)
    if viewer is None:
        return
    if viewer._new_csrf_cookie is not None:
        set_cookie(request, response, CSRF_COOKIE, viewer._new_csrf_cookie)
    if viewer.expired:
        end_session_cookie(request, response)


def check_csrf(request: Request, form: Mapping[str, str]) -> Viewer:
    """The viewer, if the form carries their CSRF token; else :class:`CsrfRefused`."""
    viewer = viewer_of(request)
    sent = form.get("csrf", "")
    if not viewer.csrf or viewer._new_csrf_cookie is not None:
        raise CsrfRefused  # no cookie came with the form: it was not made for this browser
    if not hmac.compare_digest(sent.encode(), viewer.csrf.encode()):
        raise CsrfRefused
    return viewer


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    """A session cookie (no Max-Age: the browser forgets it when closed; the server's
    record expires anyway): HttpOnly, SameSite=Lax, Secure over https."""
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def end_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def client_address(request: Request) -> str:
    """The client's address as the server sees it (a proxy's, unless uvicorn trusts it)."""
    return request.client.host if request.client else "unknown"
