"""Marketplace wiring: settings in, a :class:`MarketRuntime` of ready services out."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import Engine, make_url

from plaza.api.market import (
    ContractIndex,
    MarketApiConfig,
    MarketNotifier,
    MarketServices,
    create_market_app,
)
from plaza.bootstrap.clock import SystemClock
from plaza.bootstrap.market_files import MarketDataDir
from plaza.bootstrap.market_ledger import FanOutListener, LedgerSide, build_auditor, open_ledger
from plaza.bootstrap.payments import PaymentsByAgents
from plaza.clock import Clock
from plaza.crypto import SigningKey
from plaza.jobs import InlineQueue, JobQueue, Worker
from plaza.jobs.ports import Handler
from plaza.jobs.redis import RedisQueue
from plaza.jobs.sqlite import SqliteQueue
from plaza.market.assets.ports import AssetListener
from plaza.market.audit.service import BookAndSettlements
from plaza.market.auth import (
    ApiKeyService,
    Participant,
    ParticipantRegistry,
    Principal,
    RequestVerifier,
    SignedRegistration,
)
from plaza.market.book.ports import BookStore
from plaza.market.book.service import BidManager
from plaza.market.book.sqlite import SqliteBookStore
from plaza.market.contracts import ContractDesk
from plaza.market.kinds import Kinds
from plaza.market.marketplace import Marketplace
from plaza.market.payments.service import LedgerPayments
from plaza.market.settlement import Payments, SettlementListener, SettlementService
from plaza.market.sql import (
    SqlApiKeyStore,
    SqlAssetDirectory,
    SqlBookStore,
    SqlNonceStore,
    SqlParticipantStore,
    SqlSettlementStore,
    import_journal,
    make_engine,
    upgrade_schema,
)
from plaza.market.sql.engine import SqlUnitOfWork
from plaza.market.sql.lease import lease_for
from plaza.market.twins.staging import StagedTwins
from plaza.notify import (
    MQTT_JOB,
    WEBHOOK_JOB,
    CallbackPolicy,
    EventStream,
    MqttRelay,
    NotificationHub,
)
from plaza.notify.mqtt import MqttPublisher
from plaza.notify.postgres import SharedEventStream, channel_for
from plaza.notify.stores import SqliteSubscriptionStore
from plaza.notify.transport import guarded_transport
from plaza.notify.webhook import WebhookDeliverer
from plaza.settings import MarketSettings
from plaza.verticals import VerticalRegistry, registry

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["MarketRuntime", "build_market"]

log = logging.getLogger(__name__)


def _close_all(closers: list[Callable[[], object]]) -> None:
    """Close in reverse order of opening; one failure does not keep the rest open."""
    while closers:
        closer = closers.pop()
        try:
            closer()
        except Exception:
            log.exception("closing the marketplace failed")


@dataclass
class MarketRuntime:
    """A built marketplace, and everything to close once its app has stopped."""

    services: MarketServices
    closers: list[Callable[[], object]] = field(default_factory=list)
    verticals: VerticalRegistry = registry

    def app(self) -> FastAPI:
        """The marketplace API over these services, with the verticals' routes."""
        return create_market_app(self.services, verticals=self.verticals.routers())

    def admit_operator(self, signed: SignedRegistration) -> Participant:
        """Register an operator on the marketplace's own authority (the first one's way in)."""
        return self.services.registry.register(signed, sponsor=Principal.system())

    def close(self) -> None:
        _close_all(self.closers)


def _open_queue(settings: MarketSettings, data: MarketDataDir, clock: Clock) -> JobQueue:
    match settings.jobs:
        case "inline":
            return InlineQueue(clock)
        case "sqlite":
            return SqliteQueue(data.path / "jobs.sqlite3", clock)
        case "redis":
            url = settings.redis_url.get_secret_value()
            return RedisQueue(url, clock, prefix="plaza:market:jobs")


def _open_engine(settings: MarketSettings, data: MarketDataDir) -> Engine:
    url = settings.database_url
    text = data.database_url if url is None else url.get_secret_value()
    return make_engine(text, schema=settings.database_schema)


def _open_hub(
    settings: MarketSettings, data: MarketDataDir, clock: Clock, closers: list[Callable[[], object]]
) -> tuple[NotificationHub, EventStream, Worker]:
    """The hub over a durable queue, and the worker that delivers its webhooks (and MQTT
    messages when a broker is configured)."""
    queue = _open_queue(settings, data, clock)
    closers.append(queue.close)
    subscriptions = SqliteSubscriptionStore(data.hub)
    closers.append(subscriptions.close)
    callbacks = CallbackPolicy(allow_private=settings.allow_private_callbacks)
    client = httpx.Client(transport=guarded_transport(callbacks), trust_env=False)
    closers.append(client.close)
    deliverer = WebhookDeliverer(subscriptions, client, clock, callbacks=callbacks)
    handlers: dict[str, Handler] = {WEBHOOK_JOB: deliverer}
    mqtt_root = None
    if settings.mqtt_host is not None:
        publisher = MqttPublisher(settings.mqtt_host, settings.mqtt_port)
        closers.append(publisher.close)
        handlers[MQTT_JOB] = MqttRelay(publisher)
        mqtt_root = settings.mqtt_root
    stream = _event_stream(settings, closers)
    hub = NotificationHub(
        subscriptions, queue, clock, stream=stream, mqtt_root=mqtt_root, callbacks=callbacks
    )
    return hub, stream, Worker(queue, handlers)


def _event_stream(settings: MarketSettings, closers: list[Callable[[], object]]) -> EventStream:
    """The live events of this process; on PostgreSQL, shared with the marketplace's other
    worker processes (each worker's ``/events`` hears what any of them published)."""
    url = settings.database_url
    parsed = None if url is None else make_url(url.get_secret_value())
    if parsed is None or parsed.get_backend_name() != "postgresql":
        return EventStream()
    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    stream = SharedEventStream(dsn, channel_for(settings.database_schema))
    closers.append(stream.close)
    return stream


def _payments(ledger: LedgerSide, clock: Clock) -> PaymentsByAgents:
    """Refusing to pay; reading confirmations from the node when one is configured."""
    if ledger.gateway is None:
        return PaymentsByAgents()
    return PaymentsByAgents(LedgerPayments(ledger.gateway, ()))


def _marketplace(
    settings: MarketSettings,
    engine: Engine,
    journal: BookStore,
    key: SigningKey,
    *,
    payments: Payments,
    listener: SettlementListener,
    asset_listener: AssetListener,
    twins: StagedTwins | None,
    kinds: Kinds,
    clock: Clock,
) -> tuple[Marketplace, BookAndSettlements]:
    """The marketplace, and the read-only view of its book and settlements an audit needs.

    ``listener`` hears every settlement step and ``asset_listener`` every new asset
    state (both: the notifier).

    With twins, the one recorder is the book's order and asset twins, the desk's
    contract twins, the settlement's staging (in the unit of work that saves each
    state: a journal step or settlement state commits with its twin states), and
    the queue the periodic round flushes. The verticals' ``kinds`` check their orders and
    assets, price and match them, and hear their contracts' steps last.
    """
    settlements = SqlSettlementStore(engine)
    unit = SqlUnitOfWork(engine)
    settlement = SettlementService(
        settlements,
        payments,
        clock,
        listener=FanOutListener(listener, kinds),
        staging=twins,
        unit=unit,
    )
    book = BidManager(
        journal,
        clock=clock,
        policy=settings.policy,
        twins=twins,
        assets=SqlAssetDirectory(engine),
        asset_twins=twins,
        asset_listener=asset_listener,
        kinds=kinds,
        unit=unit,
    )
    desk = ContractDesk(key, settlement, twins=twins, kinds=kinds)
    market = Marketplace(book=book, journal=journal, desk=desk, settlement=settlement, twins=twins)
    return market, BookAndSettlements(book, settlements)


def _open_journal(engine: Engine, data: MarketDataDir) -> SqlBookStore:
    """The book's journal in the market's database; a journal file left by an older version
    (``book.sqlite3``) is copied in once, then renamed so it is never read again."""
    journal = SqlBookStore(engine)
    old = data.path / "book.sqlite3"
    if old.exists():
        previous = SqliteBookStore(old)
        try:
            import_journal(previous, journal)
        finally:
            previous.close()
        old.rename(old.with_name("book.sqlite3.moved"))
    return journal


def _services(
    settings: MarketSettings,
    data: MarketDataDir,
    clock: Clock,
    closers: list[Callable[[], object]],
    kinds: Kinds,
) -> MarketServices:
    """Every adapter the settings choose; each one that holds a resource joins ``closers``."""
    identity = data.identity()
    audience = settings.audience or str(identity.address)
    engine = _open_engine(settings, data)
    closers.append(engine.dispose)
    upgrade_schema(engine)
    lease = lease_for(engine)
    closers.append(lease.close)
    journal = _open_journal(engine, data)
    closers.append(journal.close)
    hub, stream, worker = _open_hub(settings, data, clock, closers)
    notifier = MarketNotifier(hub, clock)
    participants = SqlParticipantStore(engine)
    ledger = open_ledger(
        settings,
        data,
        engine,
        participants=participants,
        identity=identity,
        clock=clock,
        closers=closers,
        lease=lease,
    )
    marketplace, records = _marketplace(
        settings,
        engine,
        journal,
        identity.signing,
        listener=notifier,
        asset_listener=notifier,
        twins=ledger.twins,
        payments=_payments(ledger, clock),
        kinds=kinds,
        clock=clock,
    )
    return MarketServices(
        marketplace=marketplace,
        registry=ParticipantRegistry(participants, clock, audience=audience),
        api_keys=ApiKeyService(SqlApiKeyStore(engine), participants, data.pepper(), clock),
        verifier=RequestVerifier(participants, SqlNonceStore(engine), clock, audience=audience),
        hub=hub,
        stream=stream,
        notifier=notifier,
        contracts=ContractIndex(journal, identity.signing, kinds=kinds),
        identity=identity,
        audience=audience,
        policy=settings.policy,
        clock=clock,
        node_url=settings.node_url or None,
        worker=worker,
        config=MarketApiConfig(periodic_interval_s=settings.periodic_interval_s),
        auditor=build_auditor(ledger, records, identity=identity, clock=clock),
        twins=ledger.twins,
        data_dir=settings.data_dir,
        lease=lease,
    )


def build_market(
    settings: MarketSettings,
    *,
    clock: Clock | None = None,
    config: MarketApiConfig | None = None,
    verticals: VerticalRegistry = registry,
) -> MarketRuntime:
    """A marketplace for ``settings``: keys and pepper made on first run, the schema
    migrated, journaled matches that lack a contract reconciled. Close it when done.
    With a node URL, twins lagging the journal and settlements are brought up to
    date here; a node that does not answer yet leaves them to the periodic round.

    ``config`` replaces the API settings derived from ``settings`` (tests shorten
    the periodic interval and the worker's poll). ``verticals`` are the plugins whose
    kinds the market applies and whose routes :meth:`MarketRuntime.app` mounts
    (the installation's, from their entry points, unless a test brings its own).
    """
    closers: list[Callable[[], object]] = []
    data = MarketDataDir(settings.data_dir)
    try:
        kinds = verticals.kinds()
        services = _services(settings, data, clock or SystemClock(), closers, kinds)
        if config is not None:
            services = dataclasses.replace(services, config=config)
        services.marketplace.reconcile()
        services.contracts.refresh()
    except BaseException:
        _close_all(closers)
        raise
    return MarketRuntime(services, closers, verticals)
