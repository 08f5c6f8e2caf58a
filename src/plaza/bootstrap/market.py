"""Marketplace wiring: settings in, a :class:`MarketRuntime` of ready services out."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine

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
from plaza.bootstrap.market_notify import open_hub
from plaza.bootstrap.payments import PaymentsByAgents
from plaza.clock import Clock
from plaza.crypto import Identity, SigningKey
from plaza.market.assets.ports import AssetListener
from plaza.market.audit.service import Auditor, BookAndSettlements
from plaza.market.auth import (
    ApiKeyService,
    Participant,
    ParticipantRegistry,
    Principal,
    RequestVerifier,
    SignedRegistration,
)
from plaza.market.book.service import BidManager
from plaza.market.book.sqlite import SqliteBookStore
from plaza.market.contracts import ContractDesk
from plaza.market.kinds import Kinds
from plaza.market.leases import Lease
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
from plaza.market.twins.backlog import TwinBacklog
from plaza.market.twins.staging import StagedTwins
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


def _open_engine(settings: MarketSettings, data: MarketDataDir) -> Engine:
    url = settings.database_url
    text = data.database_url if url is None else url.get_secret_value()
    return make_engine(text, schema=settings.database_schema)


def _payments(ledger: LedgerSide, clock: Clock) -> PaymentsByAgents:
    """Refusing to pay; reading confirmations from the node when one is configured."""
    if ledger.gateway is None:
        return PaymentsByAgents()
    return PaymentsByAgents(LedgerPayments(ledger.gateway, ()))


@dataclass(frozen=True, slots=True)
class _Database:
    """The market's database, migrated, and what the other parts share on it: the lease
    that elects the one worker running the periodic round, the book's journal, the
    participants."""

    engine: Engine
    lease: Lease
    journal: SqlBookStore
    participants: SqlParticipantStore


def _open_database(
    settings: MarketSettings, data: MarketDataDir, closers: list[Callable[[], object]]
) -> _Database:
    """The database with its schema upgraded and an older version's journal moved in."""
    engine = _open_engine(settings, data)
    closers.append(engine.dispose)
    upgrade_schema(engine)
    lease = lease_for(engine)
    closers.append(lease.close)
    journal = _open_journal(engine, data)
    closers.append(journal.close)
    return _Database(engine, lease, journal, SqlParticipantStore(engine))


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


def _book(
    settings: MarketSettings,
    db: _Database,
    unit: SqlUnitOfWork,
    *,
    listener: AssetListener,
    twins: StagedTwins | None,
    kinds: Kinds,
    clock: Clock,
) -> BidManager:
    """The order book over the journal and the asset directory: ``listener`` hears every
    new asset state, the verticals' ``kinds`` check orders and assets, price and match
    them. With twins, a journal step commits with its order and asset twin states in
    ``unit``."""
    return BidManager(
        db.journal,
        clock=clock,
        policy=settings.policy,
        twins=twins,
        assets=SqlAssetDirectory(db.engine),
        asset_twins=twins,
        asset_listener=listener,
        kinds=kinds,
        unit=unit,
    )


def _marketplace(
    settings: MarketSettings,
    db: _Database,
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
    state (both: the notifier); the verticals' ``kinds`` hear their contracts' steps last.

    With twins, the one recorder is the book's order and asset twins, the desk's
    contract twins, the settlement's staging (in the unit of work that saves each
    state: a settlement state commits with its twin states), and the queue the
    periodic round flushes.
    """
    settlements = SqlSettlementStore(db.engine)
    unit = SqlUnitOfWork(db.engine)
    listeners = FanOutListener(listener, kinds)
    settlement = _settlement(settlements, payments, listeners, twins=twins, unit=unit, clock=clock)
    book = _book(settings, db, unit, listener=asset_listener, twins=twins, kinds=kinds, clock=clock)
    desk = ContractDesk(key, settlement, twins=twins, kinds=kinds)
    market = Marketplace(
        book=book,
        journal=db.journal,
        desk=desk,
        settlement=settlement,
        twins=twins,
        admission=_admission(settings, twins, clock),
    )
    return market, BookAndSettlements(book, settlements)


def _settlement(
    settlements: SqlSettlementStore,
    payments: Payments,
    listener: SettlementListener,
    *,
    twins: StagedTwins | None,
    unit: SqlUnitOfWork,
    clock: Clock,
) -> SettlementService:
    """Settlement over the SQL store: each state saved in ``unit`` with its twin states."""
    return SettlementService(
        settlements, payments, clock, listener=listener, staging=twins, unit=unit
    )


def _admission(
    settings: MarketSettings, twins: StagedTwins | None, clock: Clock
) -> TwinBacklog | None:
    """New work waits while the twins lag more than ``twin_lag_limit_s`` (0: no limit)."""
    if twins is None or settings.twin_lag_limit_s <= 0:
        return None
    return TwinBacklog(twins.outbox, clock, limit_ms=round(settings.twin_lag_limit_s * 1000))


@dataclass(frozen=True, slots=True)
class _Market:
    """The marketplace, its auditor, and its twin recorder (``None``: twins are off)."""

    marketplace: Marketplace
    auditor: Auditor
    twins: StagedTwins | None


def _open_market(
    settings: MarketSettings,
    data: MarketDataDir,
    db: _Database,
    identity: Identity,
    notifier: MarketNotifier,
    *,
    kinds: Kinds,
    clock: Clock,
    closers: list[Callable[[], object]],
) -> _Market:
    """The marketplace on the ledger when a node is configured (twins, payments read from
    the node, the auditor's trails), on the database alone otherwise."""
    ledger = open_ledger(
        settings,
        data,
        db.engine,
        participants=db.participants,
        identity=identity,
        clock=clock,
        closers=closers,
        lease=db.lease,
    )
    marketplace, records = _marketplace(
        settings,
        db,
        identity.signing,
        listener=notifier,
        asset_listener=notifier,
        twins=ledger.twins,
        payments=_payments(ledger, clock),
        kinds=kinds,
        clock=clock,
    )
    auditor = build_auditor(ledger, records, identity=identity, clock=clock)
    return _Market(marketplace, auditor, ledger.twins)


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
    db = _open_database(settings, data, closers)
    hub, stream, worker = open_hub(settings, data, clock, closers)
    notifier = MarketNotifier(hub, clock)
    market = _open_market(
        settings, data, db, identity, notifier, kinds=kinds, clock=clock, closers=closers
    )
    participants = db.participants
    return MarketServices(
        marketplace=market.marketplace,
        registry=ParticipantRegistry(participants, clock, audience=audience),
        api_keys=ApiKeyService(SqlApiKeyStore(db.engine), participants, data.pepper(), clock),
        verifier=RequestVerifier(participants, SqlNonceStore(db.engine), clock, audience=audience),
        hub=hub,
        stream=stream,
        notifier=notifier,
        contracts=ContractIndex(db.journal, identity.signing, kinds=kinds),
        identity=identity,
        audience=audience,
        policy=settings.policy,
        clock=clock,
        node_url=settings.node_url or None,
        worker=worker,
        config=MarketApiConfig(periodic_interval_s=settings.periodic_interval_s),
        auditor=market.auditor,
        twins=market.twins,
        data_dir=settings.data_dir,
        lease=db.lease,
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
