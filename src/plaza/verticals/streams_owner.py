"""The sensor owner's dashboard (issue 12, item 5): a logged-in person's sensors, each with
its revenue and its subscribers and their time left.

Which sensors are whose: a sensor names the web account that owns it in its signed
announcement (``plaza sensor run --owner usr_…``, the user id the account page shows),
so only the holder of the sensor's keys can put it on a dashboard, and only on the one
it names. What the page shows comes from the ledger: the latest sales report the
sensor filed (:mod:`plaza.streams.report`, issued by its channel key: revenue, refunds,
each subscriber's end and payments, as its book has them) and what its payment address
received and sent back. Nobody logged in is sent to the login page; the page is
private to its viewer, so it is never cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.channels import LedgerAccessError
from plaza.clients.node import ClientError, NodeClient
from plaza.clock import SystemClock
from plaza.ledger.model import DataPayload
from plaza.streams import Sensor
from plaza.streams.buyer import discover
from plaza.streams.catalog import Sales
from plaza.streams.errors import InvalidMemo
from plaza.streams.report import SalesReport, decode_report, report_tag
from plaza.verticals.viewers import NO_STORE, user_or_login

__all__ = ["OwnedSensor", "router"]

_CLOCK = SystemClock()
router = APIRouter()


@dataclass(frozen=True, slots=True)
class OwnedSensor:
    """One of the viewer's sensors: what it announced, its last report, its ledger sales."""

    sensor: Sensor
    report: SalesReport | None
    sales: Sales | None


@router.get("/streams/mine", include_in_schema=False)
def my_sensors(request: Request) -> Response:
    """The logged-in person's sensors with revenue and subscribers; else the login page."""
    owner = user_or_login(request)
    if isinstance(owner, Response):
        return owner
    pages = request.app.state.pages
    context: dict[str, Any] = {"title": "Your sensors", "owner": owner, "problem": None}
    status, owned = 200, []
    try:
        owned = [_owned(request, s) for s in _sensors(request) if s.announcement.owner == owner]
    except LedgerAccessError as error:
        status, context["problem"] = 503, f"the node is not answering: {error}"
    context |= {"owned": owned, "now_ms": _CLOCK.now_ms()}
    page: Response = pages.render(request, "stream/mine.html", context, status=status)
    page.headers.update(NO_STORE)
    return page


def _sensors(request: Request) -> list[Sensor]:
    return discover(RemoteLedger(request.app.state.sources.node, clock=_CLOCK))


def _owned(request: Request, sensor: Sensor) -> OwnedSensor:
    node: NodeClient = request.app.state.sources.node
    gateway = RemoteLedger(node, clock=_CLOCK)
    try:
        sales: Sales | None = Sales.of(gateway.history(sensor.announcement.pay_to, limit=1000))
    except LedgerAccessError:
        sales = None
    return OwnedSensor(sensor, latest_report(node, sensor), sales)


def latest_report(node: NodeClient, sensor: Sensor) -> SalesReport | None:
    """The newest sales report ``sensor``'s channel key filed (None: none, or unreadable);
    one filed by any other key is ignored, as anyone may write under a tag."""
    try:
        for message_id in node.find_by_tag(report_tag(sensor.channel_id), limit=10).ids:
            message = node.get_message(message_id)
            if message.issuer == sensor.channel.raw and isinstance(message.payload, DataPayload):
                return decode_report(message.payload.data)
    except (ClientError, InvalidMemo):
        pass  # no report shown rather than a wrong one
    return None
