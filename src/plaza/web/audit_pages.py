"""The auditors' pages: every contract, and each one's twins read back from the ledger.

Only an account whose participant holds the market's auditor or operator role may read
them (checked on every request, from the market's own record of the roles); they show
the twins' states decrypted, so they are never cached. Nobody logged in: the login
page; anyone else: 403.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from plaza.market.auth import Role
from plaza.web.errors import BadInput, NotAllowed, PageNotFound
from plaza.web.pages import pages_of
from plaza.web.ports import AuditReader
from plaza.web.sessions import accounts_of, viewer_of

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_CONTRACT_ID = re.compile(r"[A-Za-z0-9:._-]{1,128}")
_READERS = {Role.AUDITOR, Role.OPERATOR}
_LISTED = 200
_NO_STORE = {"cache-control": "no-store"}


def _reader(request: Request) -> AuditReader | Response:
    """The audit source for an auditor or operator; the login page for nobody."""
    accounts = accounts_of(request)
    audits: AuditReader | None = request.app.state.sources.audits
    if accounts is None or audits is None:
        raise PageNotFound("This site has no audit pages.")
    viewer = viewer_of(request)
    if viewer.account is None:
        return RedirectResponse("/login?expired=1" if viewer.expired else "/login", 303)
    if not _READERS & accounts.keys.acting_as(viewer.account).roles:
        raise NotAllowed("Only auditors and operators read the audit pages.")
    return audits


def _private(request: Request, name: str, context: dict[str, object]) -> Response:
    page = pages_of(request).render(request, name, context)
    page.headers.update(_NO_STORE)
    return page


@router.get("/audit")
def contracts(request: Request) -> Response:
    reader = _reader(request)
    if isinstance(reader, Response):
        return reader
    listed = reader.contracts(limit=_LISTED)
    return _private(
        request, "audit/list.html", {"title": "Audit", "contracts": listed, "limit": _LISTED}
    )


@router.get("/audit/{contract_id}")
def contract(request: Request, contract_id: str) -> Response:
    reader = _reader(request)
    if isinstance(reader, Response):
        return reader
    if not _CONTRACT_ID.fullmatch(contract_id):
        raise BadInput("contract id", "up to 128 letters, digits and :._-")
    verification = reader.audit(contract_id)
    if verification is None:
        raise PageNotFound(f"there is no contract {contract_id}")
    context = {"title": f"Audit {contract_id}", "contract_id": contract_id}
    return _private(request, "audit/contract.html", context | {"verification": verification})
