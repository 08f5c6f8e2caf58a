"""A real marketplace behind a real uvicorn server, on SQLite in a temporary directory.

:func:`serve_market` builds the marketplace with :func:`plaza.bootstrap.build_market`
(the production wiring: SQL stores, the SQLite journal, the SQLite job queue, the
hub and its worker), serves it on 127.0.0.1 from a thread, and tears it all down
afterwards, failing if the server logged an error. :func:`market_world` registers
the cast the tests use: a provider, a consumer, an unrelated participant, an
operator (admitted by the marketplace itself) and an auditor the operator
sponsored, each with a client signing as them, plus a read-only API key.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from plaza.api.market import MarketApiConfig
from plaza.api.serving import ThreadedServer
from plaza.bootstrap import MarketRuntime, SystemClock, build_market
from plaza.clients.market import ContractRecord, MarketClient, OrderTerms
from plaza.clock import Clock
from plaza.crypto import Identity
from plaza.market.auth import Role, Scope, sign_registration
from plaza.market.model import Side
from plaza.settings import MarketSettings
from plaza.verticals import VerticalRegistry, registry

HOUR_MS = 3_600_000
CONFIG = MarketApiConfig(periodic_interval_s=0.2, worker_poll_s=0.05)


class _ServerErrors(logging.Handler):
    """Errors logged from other threads than the test's: the server's loop, pool, workers."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != threading.main_thread().ident:
            self.records.append(record)


@dataclass
class RunningMarket:
    url: str
    runtime: MarketRuntime
    data_dir: Path

    def client(
        self,
        identity: Identity | None = None,
        *,
        api_key: str | None = None,
        seal: bool = False,
        clock: Clock | None = None,
    ) -> MarketClient:
        return MarketClient(
            self.url, identity=identity, api_key=api_key, seal_bodies=seal, clock=clock
        )


@contextmanager
def serve_market(
    data_dir: Path,
    *,
    verticals: VerticalRegistry = registry,
    clock: Clock | None = None,
    **settings: object,
) -> Iterator[RunningMarket]:
    """Build, serve, and tear down a marketplace in ``data_dir``; without a ``node_url`` it
    runs with no node (twins off), rather than trying the default local one. It has the
    installation's verticals (energy's), and those a test registers, unless ``verticals``
    says otherwise; ``clock`` is the server's (the system's unless a test moves time)."""
    runtime = build_market(
        MarketSettings(data_dir=data_dir, **{"node_url": "", **settings}),  # type: ignore[arg-type]
        clock=clock,
        config=CONFIG,
        verticals=verticals,
    )
    errors = _ServerErrors()
    logging.getLogger().addHandler(errors)
    try:
        with ThreadedServer(runtime.app()) as server:
            yield RunningMarket(server.url, runtime, data_dir)
    finally:
        runtime.close()
        logging.getLogger().removeHandler(errors)
    assert not errors.records, [record.getMessage() for record in errors.records]


@dataclass
class MarketWorld:
    """The cast, each with a client signing as them; close with :meth:`close`."""

    market: RunningMarket
    provider: MarketClient
    consumer: MarketClient
    other: MarketClient
    auditor: MarketClient
    operator: MarketClient
    anonymous: MarketClient
    read_key: MarketClient  # the provider's API key holding market:read only
    ids: dict[str, str] = field(default_factory=dict)
    _stack: ExitStack = field(default_factory=ExitStack)
    _kinds: Iterator[int] = field(default_factory=itertools.count)

    def close(self) -> None:
        self._stack.close()

    def fresh_kind(self) -> str:
        """A kind no other test trades, so each test's orders only meet each other."""
        return f"energy-{next(self._kinds)}"

    def terms(self, kind: str, quantity: int, price: int) -> OrderTerms:
        now = SystemClock().now_ms()
        return OrderTerms(kind, quantity, price, now, now + HOUR_MS)

    def contract(self, *, quantity: int = 20) -> ContractRecord:
        """A fresh contract between the provider and the consumer."""
        kind = self.fresh_kind()
        self.provider.submit(Side.OFFER, self.terms(kind, 50, 9))
        outcome = self.consumer.submit(Side.REQUEST, self.terms(kind, quantity, 10))
        [record] = outcome.contracts
        return record


def _register(market: RunningMarket, stack: ExitStack, name: str, *roles: Role) -> MarketClient:
    identity = Identity.generate()
    client = stack.enter_context(market.client(identity))
    client.register(name, roles=roles)
    return client


def market_world(market: RunningMarket) -> MarketWorld:
    stack = ExitStack()
    services = market.runtime.services
    operator_identity = Identity.generate()
    market.runtime.admit_operator(
        sign_registration(
            operator_identity.signing,
            operator_identity.encryption.public_key,
            display_name="operator",
            roles=[Role.OPERATOR],
            audience=services.audience,
            clock=SystemClock(),
        )
    )
    operator = stack.enter_context(market.client(operator_identity))
    auditor_identity = Identity.generate()
    operator.sponsor(
        sign_registration(
            auditor_identity.signing,
            auditor_identity.encryption.public_key,
            display_name="auditor",
            roles=[Role.AUDITOR],
            audience=services.audience,
            clock=SystemClock(),
        )
    )
    provider = _register(market, stack, "solar roof", Role.PROVIDER)
    key = provider.create_api_key("dashboard", [Scope.MARKET_READ])
    return MarketWorld(
        market=market,
        provider=provider,
        consumer=_register(market, stack, "ev charger", Role.CONSUMER),
        other=_register(market, stack, "mallory", Role.PROVIDER, Role.CONSUMER),
        auditor=stack.enter_context(market.client(auditor_identity)),
        operator=operator,
        anonymous=stack.enter_context(market.client()),
        read_key=stack.enter_context(market.client(api_key=key.secret)),
        _stack=stack,
    )
