"""``plaza telco orchestrator``'s agent: told of orders by the hub, it grants and takes back
time-bounded access to the assets, and reports access configured to each order.

The orchestrator is an operator of the marketplace named in the orders it
orchestrates. It subscribes to the order hub (TMF622 ``POST hub``, removed with
``DELETE hub/{id}`` when it stops) with its listener's URL as the callback, so the
marketplace posts ``ProductOrderCreateEvent`` and ``ProductOrderStateChangeEvent``
to ``{callback}/listener/{eventName}``. A post is only a wake-up call: the
orchestrator reads its orders from the marketplace, signed as itself, and acts on
what the marketplace says, so a forged post can make it read, never grant. It also
reads every ``poll_s`` (a post lost while it was down is caught up) and whenever a
window it follows starts or ends.

For each confirmed order (``inProgress``: one still waiting for a side's confirmation
gets nothing) (:mod:`plaza.telco.access`): at the window's start it configures the
access (in this simulation, an entry in its access list, logged and served at
``GET /access``) and reports it (``PATCH productOrder/{id}`` to ``inProgress``),
which starts paying the asset provider from the hold as the window is served; at
the window's end, or when
the order fails, it removes the access; an order cancelled before its window only
has its scheduled access dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response

from plaza.api.docs import serve_docs
from plaza.clients.market import MarketClient
from plaza.clock import Clock
from plaza.telco.access import AccessList, Seen, Step, plan

__all__ = ["ORDERING", "Orchestrator", "create_listener_app"]

log = logging.getLogger(__name__)

ORDERING = "/telco/tmf-api/productOrderingManagement/v4"
_ORDERS = f"{ORDERING}/productOrder"
_PAGE = 1000


class MarketRefused(Exception):
    """The marketplace answered a read with an error: the round is tried again later."""


def _ms(date: str) -> int:
    return int(datetime.fromisoformat(date).timestamp() * 1000)


def _seen(order: dict[str, Any]) -> Seen:
    parties = {party["role"]: party["id"] for party in order.get("relatedParty", [])}
    return Seen(
        order["id"],
        order["state"],
        order.get("resource", {}).get("id", ""),
        parties.get("customer", ""),
        _ms(order["requestedStartDate"]),
        _ms(order["requestedCompletionDate"]),
    )


class Orchestrator:
    """Run :meth:`run` in a thread; :meth:`notified` is the listener's; :meth:`stop` ends it."""

    def __init__(
        self,
        client: MarketClient,
        *,
        clock: Clock,
        poll_s: float = 10.0,
        http: httpx.Client | None = None,
    ) -> None:
        identity = client.identity
        if identity is None:
            raise ValueError("the orchestrator signs as itself: give its client an identity")
        self.participant = str(identity.address)
        self.access = AccessList()
        self.events = 0  # hub posts received
        self._client, self._clock, self._poll_s = client, clock, poll_s
        self._http = http or httpx.Client(timeout=30.0)
        self._wake, self._stop = threading.Event(), threading.Event()
        self._subscription: str | None = None
        self._early: set[str] = set()  # reports the market found before the window

    # -- talking to the marketplace ----------------------------------------------------

    def _send(self, method: str, path: str, *, body: Any = None, **params: Any) -> httpx.Response:
        request = self._client.prepare(method, path, params=params or None, body=body)
        return self._http.send(request)

    def subscribe(self, callback: str) -> str:
        """Subscribe ``callback`` to the order hub for this orchestrator's order events."""
        answer = self._send("POST", f"{ORDERING}/hub", body={"callback": callback})
        if answer.status_code != 201:
            raise MarketRefused(f"the order hub refused the subscription: {answer.text}")
        self._subscription = str(answer.json()["id"])
        log.info("subscribed to the order hub as %s (%s)", self._subscription, callback)
        return self._subscription

    def unsubscribe(self) -> None:
        if self._subscription is None:
            return
        answer = self._send("DELETE", f"{ORDERING}/hub/{self._subscription}")
        if answer.status_code not in (204, 404):
            log.warning("the order hub kept subscription %s: %s", self._subscription, answer.text)
        self._subscription = None

    def _orders(self) -> Iterator[dict[str, Any]]:
        """The orders this orchestrator still acts on: open ones, and those it follows."""
        offset, found = 0, set()
        while True:
            answer = self._send(
                "GET", _ORDERS, state="acknowledged,inProgress", offset=offset, limit=_PAGE
            )
            if answer.status_code != 200:
                raise MarketRefused(f"listing orders: {answer.status_code} {answer.text}")
            page = answer.json()
            for order in page:
                found.add(order["id"])
                yield order
            if len(page) < _PAGE:
                break
            offset += _PAGE
        for order_id in self.access.open_ids():  # ended since: read each to learn how
            if order_id not in found:
                answer = self._send("GET", f"{_ORDERS}/{order_id}")
                if answer.status_code == 200:
                    yield answer.json()

    # -- acting ------------------------------------------------------------------------

    def round(self) -> int:
        """Read the orders and take each one's step; how many steps were taken."""
        taken = 0
        for order in self._orders():
            if not any(
                party.get("role") == "orchestrator" and party.get("id") == self.participant
                for party in order.get("relatedParty", [])
            ):
                continue  # an order it is a party of for another reason
            seen = _seen(order)
            step = plan(seen, self.access.get(seen.order_id), self._clock.now_ms())
            if step is not Step.NOTHING:
                self._take(step, seen)
                taken += 1
            elif seen.order_id in self._early and seen.state == "inProgress":
                self._report(seen.order_id)  # its first report reached the market too early
        return taken

    def _take(self, step: Step, seen: Seen) -> None:
        now = self._clock.now_ms()
        entry = self.access.apply(step, seen, now)
        log.info(
            "access %s: order %s, asset %s, for %s until %s",
            entry.state.value if entry else step.value,
            seen.order_id,
            seen.asset_id,
            seen.customer,
            seen.end_ms,
        )
        if step is Step.CONFIGURE:
            self._report(seen.order_id)

    def _report(self, order_id: str) -> None:
        """Tell the order its access is configured (which starts its payments)."""
        answer = self._send("PATCH", f"{_ORDERS}/{order_id}", body={"state": "inProgress"})
        self._early.discard(order_id)
        if answer.status_code == 200:
            self.access.reported(order_id)
            return
        log.warning("order %s refused the report: %s", order_id, answer.text)
        if answer.status_code == 409 and answer.json().get("code") == "window_not_started":
            self._early.add(order_id)  # the market's clock behind this one's: again next round

    def _next_wait(self) -> float:
        """Until the next window it follows starts or ends, at most ``poll_s``."""
        now = self._clock.now_ms()
        moments = [
            moment
            for entry in self.access.entries()
            if entry.order_id in self.access.open_ids()
            for moment in (entry.start_ms, entry.end_ms)
            if moment > now
        ]
        return min([self._poll_s, *((moment - now) / 1000 + 0.05 for moment in moments)])

    def notified(self, event_name: str) -> None:
        """A hub post arrived: read the orders now."""
        self.events += 1
        log.debug("hub event %s", event_name)
        self._wake.set()

    def run(self) -> None:
        """Rounds until :meth:`stop`: at each post, window boundary and ``poll_s``."""
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.round()
            except (MarketRefused, httpx.HTTPError) as error:
                log.warning("orchestrator round failed (%s); trying again", error)
            self._wake.wait(self._next_wait())

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def close(self) -> None:
        self._http.close()


def create_listener_app(orchestrator: Orchestrator) -> FastAPI:
    """The hub's listener (``POST /listener/{eventName}``) and the access list it serves."""
    app = FastAPI(title="plaza telco orchestrator", docs_url=None, redoc_url=None)
    serve_docs(app)

    @app.post("/listener/{event_name}", status_code=204)
    async def listener(event_name: str, request: Request) -> Response:
        await request.body()  # only a wake-up call: the orders are read from the market
        orchestrator.notified(event_name)
        return Response(status_code=204)

    @app.get("/access")
    def access() -> dict[str, Any]:
        """The access list: each order's access to its asset, and the posts received."""
        entries = [entry.view() for entry in orchestrator.access.entries()]
        return {
            "orchestrator": orchestrator.participant,
            "events": orchestrator.events,
            "access": entries,
        }

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
