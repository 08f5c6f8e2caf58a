"""The provider's dashboard (issue 13, item 6): a logged-in person's services, each with
its calls, its failures and their reasons, and its revenue.

Which services are whose: a provider names the web account that owns it in its signed
service description (``plaza service run --owner usr_…``, the user id the account page
shows), so only the holder of the provider's key can put a service on a dashboard,
and only on the one it names (:func:`plaza.services.catalog.owned_services`). The
figures come from the ledger, as a service's public page reads them: the holds paid
to the provider, by how they ended, what they paid it and what they gave back
(:func:`plaza.services.catalog.usage`); the reasons of the refunded calls, sealed to
each customer on the ledger, come from the failure report the provider filed with its
own key (:mod:`plaza.services.report`). Nobody logged in is sent to the login page;
the page is private to its viewer, so it is never cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.channels import LedgerAccessError
from plaza.clock import SystemClock
from plaza.ledger.model import DataPayload
from plaza.ledger.ports import LedgerReader
from plaza.services.catalog import Listed, Usage, owned_services, usage
from plaza.services.errors import InvalidDescription
from plaza.services.report import FailureReport, decode_report, report_tag
from plaza.verticals.viewers import NO_STORE, user_or_login

__all__ = ["OwnedService", "latest_report", "router"]

_CLOCK = SystemClock()
#: The provider's latest calls the page reads, as a service's public page does.
USAGE_CALLS = 100
#: The newest messages under a provider's report tag looked through for its own.
_REPORTS_READ = 50
router = APIRouter()


@dataclass(frozen=True, slots=True)
class OwnedService:
    """One of the viewer's services: as announced, its ledger figures, its last report."""

    listed: Listed
    usage: Usage
    report: FailureReport | None


@router.get("/services/my/services", include_in_schema=False)
def my_services(request: Request) -> Response:
    """The logged-in person's services with calls, failures and revenue; else the login page."""
    owner = user_or_login(request)
    if isinstance(owner, Response):
        return owner
    pages = request.app.state.pages
    context: dict[str, Any] = {"title": "Your services", "owner": owner, "problem": None}
    status, owned = 200, []
    ledger = RemoteLedger(request.app.state.sources.node, clock=_CLOCK)
    try:
        owned = [_owned(ledger, listed) for listed in owned_services(ledger, owner)]
    except LedgerAccessError as error:
        status, context["problem"] = 503, f"the node is not answering: {error}"
    context |= {"owned": owned, "usage_calls": USAGE_CALLS}
    page: Response = pages.render(request, "services/mine.html", context, status=status)
    page.headers.update(NO_STORE)
    return page


def _owned(ledger: LedgerReader, listed: Listed) -> OwnedService:
    figures = usage(ledger, listed.description.pay_to, limit=USAGE_CALLS)
    return OwnedService(listed, figures, latest_report(ledger, listed))


def latest_report(ledger: LedgerReader, listed: Listed) -> FailureReport | None:
    """The newest failure report the provider's key filed for ``listed``'s channel (None:
    none, or unreadable); one filed by any other key is ignored, as anyone may write
    under a tag."""
    provider = listed.announcement.owner.raw
    tag = report_tag(listed.announcement.channel_id)
    for message_id in ledger.find_by_tag(tag, limit=_REPORTS_READ):
        message = ledger.message(message_id)
        if message is None or message.issuer != provider:
            continue
        if isinstance(message.payload, DataPayload):
            try:
                return decode_report(message.payload.data)
            except InvalidDescription:
                return None  # no report shown rather than a wrong one
    return None
