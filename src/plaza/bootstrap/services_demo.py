"""The services vertical in ``plaza demo``: three providers and a customer on the demo's node.

Each service of :mod:`plaza.bootstrap.services_catalog` is sold by its own
:class:`~plaza.services.provider.ProviderAgent` (``plaza service run``'s agent: its
identity, channel and book under ``<data_dir>/services/<name>``); their quote APIs are
mounted on one loopback server, each under its name; given the demo's marketplace, each
keeps its service listed there (``plaza service run --market``), so the services are on
the public marketplace page with the other verticals. The customer is ``plaza service
call`` in a loop: funded from the node's faucet, it calls the services in turn every
``call_s``, and every fourth call asks for a route to Svalbard, which has no road, so the
demo shows a refund beside the paid calls. Its calls are kept in a call book, so a second
run carries on the counts and the turn. The providers name the demo's first owner's web
account (alice's) as theirs, so its ``/services/my/services`` shows their calls, failures
and revenue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from plaza.adapters.ledger.local import LocalLedger
from plaza.api.serving import ThreadedServer, bind_listener, listener_url
from plaza.bootstrap.services_catalog import SERVICES
from plaza.channels import LedgerAccessError
from plaza.clients.market import MarketClient
from plaza.clock import Clock
from plaza.crypto import Address
from plaza.keyfiles import identity_at
from plaza.services.calls import CustomerState
from plaza.services.customer import call, find_service
from plaza.services.customer_book import CustomerBook
from plaza.services.errors import CallFailed
from plaza.services.provider import ProviderAgent, ProviderHome, create_provider_app
from plaza.sqlite import private_folder
from plaza.wallet import WalletError

__all__ = ["SCHEDULE", "ServicesDemo", "ServicesSettings"]

log = logging.getLogger(__name__)

_IMAGE = [[(row * 16 + column) % 256 for column in range(16)] for row in range(16)]
#: The customer's calls, in turn: the fourth has no road, and is refunded.
SCHEDULE: tuple[tuple[str, dict[str, Any]], ...] = (
    ("forecast", {"place": "Trondheim", "day": 1}),
    ("route", {"from": "Trondheim", "to": "Oslo"}),
    ("thumbnail", {"pixels": _IMAGE, "factor": 4}),
    ("route", {"from": "Trondheim", "to": "Longyearbyen"}),
)
#: Below this many base units the customer asks the faucet again.
_LOW_FUNDS = 10_000


@dataclass(frozen=True, slots=True)
class ServicesSettings:
    host: str = "127.0.0.1"
    call_s: float = 2.0  # the customer's pause between two calls
    poll_s: float = 0.25  # a provider's look for holds
    report_s: float = 10.0  # a provider's look at its refunds' reasons, for alice's page


class ServicesDemo:
    """Start with :meth:`start`, read :meth:`summary` any time, end with :meth:`stop`."""

    def __init__(
        self,
        root: Path,
        ledger: LocalLedger,
        clock: Clock,
        settings: ServicesSettings,
        *,
        market_url: str | None = None,
        owner: Callable[[], str] = lambda: "",
    ) -> None:
        """``owner`` gives the user id of the web account whose dashboard lists the
        services; it is asked on :meth:`start`, once the demo's accounts exist."""
        self.root = private_folder(root)
        self._owner = owner
        self.settings = settings
        self._ledger, self._clock = ledger, clock
        # The customer stops first: its call in flight ends while the providers still run.
        self._stop, self._stop_customer = threading.Event(), threading.Event()
        self._threads: list[threading.Thread] = []  # the providers'
        self._customer_thread: threading.Thread | None = None
        listener = bind_listener(settings.host, 0)
        self.url = listener_url(listener)
        self.providers: list[ProviderAgent] = []
        self._markets: list[MarketClient] = []  # each provider's, listing its service
        app = FastAPI(title="plaza demo services", openapi_url=None, docs_url=None, redoc_url=None)
        try:
            self._mount_providers(app, market_url)
        except BaseException:
            self._close_providers()
            listener.close()
            raise
        self._server = ThreadedServer(app, listener=listener)
        self._book = CustomerBook(self.root / "calls.sqlite3")
        self._payer = identity_at(self.root / "customer.key").signing
        self._serving = False

    def _mount_providers(self, app: FastAPI, market_url: str | None) -> None:
        """Open one provider per catalogued service and mount its quote API under the
        service's name, so every provider of the demo is served from one port. Each is
        kept in :attr:`providers` as soon as it opens, so a failure part-way closes the
        ones already open."""
        for sold in SERVICES:
            home = ProviderHome(self.root / sold.name)
            agent = ProviderAgent(
                home,
                self._ledger,
                sold,
                endpoint=f"{self.url}/{sold.name}",
                clock=self._clock,
                poll_s=self.settings.poll_s,
                market=self._market(market_url, home),
                report_every_s=self.settings.report_s,
            )
            self.providers.append(agent)
            app.mount(f"/{sold.name}", create_provider_app(agent))

    def start(self) -> None:
        """Describe each service (announced if new or changed), serve the quote APIs, run
        the providers' loops and the customer's."""
        owner = self._owner()
        for agent in self.providers:
            agent.name_owner(owner)
            agent.describe()
        self._server.__enter__()
        self._serving = True
        for agent in self.providers:
            self._threads.append(_started(agent.run, agent.service.name, self._stop))
        self._customer_thread = _started(self._customer, "demo-customer", self._stop_customer)

    def _customer(self, stop: threading.Event) -> None:
        """Call the services in :data:`SCHEDULE`'s turn, one at a time, every ``call_s``."""
        with httpx.Client(timeout=10.0) as http:
            while not stop.wait(self.settings.call_s):
                turn = sum(self._book.counts().values()) % len(SCHEDULE)
                name, job = SCHEDULE[turn]
                try:
                    self._fund()
                    wanted = find_service(self._ledger, name)
                    call(self._ledger, self._payer, wanted, job, **self._call_options(http))
                except CallFailed as failed:
                    log.info("demo call to %s: %s", name, failed)
                except (LedgerAccessError, WalletError) as error:
                    log.warning("demo customer: %s; retrying", error)

    def _call_options(self, http: httpx.Client) -> dict[str, Any]:
        return {"clock": self._clock, "book": self._book, "http": http, "poll_s": 0.1}

    def _fund(self) -> None:
        """Top the customer's address up from the node's faucet when it runs low."""
        address = Address.from_public_key(self._payer.public_key.raw)
        if self._ledger.balance(address).amount < _LOW_FUNDS:
            grant = self._ledger.request_faucet(address)
            self._ledger.wait_for_confirmation(grant.message_id, timeout_s=30.0)

    def urls(self, web: str) -> dict[str, str]:
        """The services' catalogue on the web app, and each service's page there."""
        pages = {"services": f"{web}/services"}
        return pages | {
            f"{agent.service.name} service": f"{web}/services/{agent.service.name}"
            for agent in self.providers
        }

    def summary(self) -> dict[str, int]:
        """The customer's calls by how they ended, and the coins the providers were paid
        (every run on this data directory)."""
        ended = self._book.counts()
        return {
            "services_providers": len(self.providers),
            "services_calls_paid": ended.get(CustomerState.DONE, 0),
            "services_calls_refunded": ended.get(CustomerState.REFUNDED, 0),
            "services_calls_timed_out": ended.get(CustomerState.EXPIRED, 0),
            "services_coins_paid": sum(agent.book.revenue() for agent in self.providers),
        }

    def stop(self) -> None:
        self._stop_customer.set()
        if self._customer_thread is not None:
            self._customer_thread.join(timeout=30)
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        if self._serving:
            self._server.stop()
        self._close_providers()
        self._book.close()

    def _market(self, url: str | None, home: ProviderHome) -> MarketClient | None:
        """The provider's client of the demo's marketplace, where its service is listed."""
        if url is None:
            return None
        self._markets.append(MarketClient(url, identity=home.identity()))
        return self._markets[-1]

    def _close_providers(self) -> None:
        for agent in self.providers:
            agent.close()
        for market in self._markets:
            market.close()


def _started(target: Any, name: str, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=target, args=(stop,), name=name, daemon=True)
    thread.start()
    return thread
