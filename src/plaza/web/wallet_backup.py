"""A logged-in person's wallet backup: the browser's locked seed, kept with their account.

``PUT /account/wallet-backup`` keeps the locked seed the wallet page sends (with the
page's CSRF token in ``X-CSRF-Token``); ``GET`` gives it back, so a new browser can
unlock it with the passphrase. The server checks its shape and cannot open it
(:mod:`plaza.market.accounts.backups`). Answers are JSON, never cached.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from plaza.market.accounts import InvalidInput, WalletBackups
from plaza.market.accounts.model import Account
from plaza.web.sessions import CsrfRefused, accounts_of, check_csrf, viewer_of

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_MAX_BODY = 4096
_NO_STORE = {"cache-control": "no-store"}


def _answer(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=_NO_STORE)


def _backups(request: Request) -> tuple[WalletBackups, Account] | JSONResponse:
    accounts = accounts_of(request)
    if accounts is None or accounts.backups is None:
        return _answer({"error": "this site keeps no wallet backups"}, 404)
    account = viewer_of(request).account
    if account is None:
        return _answer({"error": "log in to keep your wallet's backup with your account"}, 401)
    return accounts.backups, account


@router.get("/account/wallet-backup")
def backup(request: Request) -> JSONResponse:
    found = _backups(request)
    if isinstance(found, JSONResponse):
        return found
    backups, account = found
    kept = backups.get(account)
    if kept is None:
        return _answer({"error": "your account keeps no wallet backup yet"}, 404)
    return _answer({"locked": json.loads(kept.locked), "savedAtMs": kept.saved_at_ms})


@router.put("/account/wallet-backup")
async def keep(request: Request) -> JSONResponse:
    found = _backups(request)
    if isinstance(found, JSONResponse):
        return found
    backups, account = found
    try:
        check_csrf(request, {"csrf": request.headers.get("x-csrf-token", "")})
    except CsrfRefused as refused:
        return _answer({"error": refused.message}, 403)
    raw = await request.body()
    try:
        if len(raw) > _MAX_BODY:
            raise InvalidInput({"backup": f"a backup is at most {_MAX_BODY} bytes"})
        body = json.loads(raw)
        kept = backups.keep(account, body.get("locked") if isinstance(body, dict) else None)
    except (ValueError, RecursionError):  # not JSON, or nested past what json reads
        return _answer({"error": 'send {"locked": {...}}: the locked seed, as JSON'}, 400)
    except InvalidInput as bad:
        return _answer({"error": bad.problems["backup"]}, 400)
    return _answer({"savedAtMs": kept.saved_at_ms})
