"""The composition root: the one place that turns settings into wired objects.

Adapters are chosen here and nowhere else, so the rest of the code never asks
which database or clock it runs on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Engine

from plaza.api.market import ContractIndex, MarketApiConfig, MarketNotifier, MarketServices
from plaza.client import NodeClient
from plaza.crypto import EncryptionKey, Identity, SigningKey
from plaza.jobs import InlineQueue, JobQueue, RedisQueue, SqliteQueue, Worker
from plaza.jobs.ports import Handler
from plaza.ledger.ports import TangleStore
from plaza.market.auth import (
    ApiKeyService,
    Participant,
    ParticipantRegistry,
    Pepper,
    Principal,
    RequestVerifier,
    SignedRegistration,
)
from plaza.market.contracts import ContractDesk
from plaza.market.ledger_payments import LedgerPayments
from plaza.market.marketplace import Marketplace
from plaza.market.payment_ledgers import RemoteTransferLedger
from plaza.market.ports import BookStore, Clock
from plaza.market.service import BidManager
from plaza.market.settlement import (
    Contract,
    PaymentFailed,
    Payments,
    PaymentStatus,
    PreparedPayment,
    SettlementListener,
    SettlementService,
)
from plaza.market.sql import (
    SqlApiKeyStore,
    SqlNonceStore,
    SqlParticipantStore,
    SqlSettlementStore,
    make_engine,
    sqlite_url,
    upgrade_schema,
)
from plaza.market.sqlite import SqliteBookStore
from plaza.network import Gossip, GossipConfig, PeerAddress
from plaza.node import DataDir, FaucetPolicy, NodeConfig, NodeRuntime
from plaza.notify import (
    MQTT_JOB,
    WEBHOOK_JOB,
    EventStream,
    MqttPublisher,
    MqttRelay,
    NotificationHub,
    SqliteSubscriptionStore,
    WebhookDeliverer,
)
from plaza.settings import MarketSettings, NodeSettings
from plaza.storage import MemoryTangleStore, PostgresTangleStore, SqliteTangleStore

__all__ = [
    "MarketDataDir",
    "MarketRuntime",
    "PaymentsByAgents",
    "SystemClock",
    "build_gossip",
    "build_market",
    "build_node",
    "open_store",
]

log = logging.getLogger(__name__)


class SystemClock:
    """The real clock. Only this module constructs it; everything else is handed a clock."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


def open_store(settings: NodeSettings, data_dir: DataDir) -> TangleStore:
    match settings.store:
        case "sqlite":
            return SqliteTangleStore(data_dir.database)
        case "postgres":
            return PostgresTangleStore(
                settings.postgres_dsn.get_secret_value(), schema=settings.postgres_schema
            )
        case "memory":
            return MemoryTangleStore()


def build_node(settings: NodeSettings, *, clock: SystemClock | None = None) -> NodeRuntime:
    """A node for ``settings``: a devnet data directory is initialised on first run.

    The node runs a faucet exactly when its data directory holds a faucet key.
    """
    clock = clock or SystemClock()
    data_dir = DataDir(settings.data_dir)
    genesis = data_dir.init_devnet(settings.network, now_ms=clock.now_ms())
    coordinator_key = data_dir.key("coordinator")
    config = NodeConfig(
        pow_difficulty=settings.pow_difficulty,
        milestone_interval_s=settings.milestone_interval_s,
        coordinator=settings.coordinator and coordinator_key is not None,
        held_limit=settings.held_limit,
        pow_requests_per_s=settings.pow_requests_per_s,
        pow_burst=settings.pow_burst,
        verify_workers=settings.verify_workers,
        faucet=FaucetPolicy(
            amount=settings.faucet_amount,
            address_interval_s=settings.faucet_interval_s,
            requests_per_s=settings.faucet_requests_per_s,
            burst=settings.faucet_burst,
        ),
    )
    return NodeRuntime(
        store=open_store(settings, data_dir),
        genesis=genesis,
        config=config,
        clock=clock,
        coordinator_keys=[coordinator_key] if coordinator_key else [],
        faucet_key=data_dir.key("faucet"),
    )


def build_gossip(settings: NodeSettings, runtime: NodeRuntime) -> Gossip:
    """Peering for ``runtime``: its identity from the data directory, peers from settings."""
    config = GossipConfig(
        peers=tuple(PeerAddress.parse(peer) for peer in settings.peers),
        allowed=frozenset(bytes.fromhex(key) for key in settings.allow_peers),
    )
    return Gossip(runtime, DataDir(settings.data_dir).node_key(), config)


# -- the marketplace --------------------------------------------------------------------


def _create_secret(path: Path, text: str) -> None:
    """Write a new secret file readable by this user only; an existing one is kept.

    ``O_EXCL`` makes two first runs racing each other agree on one secret.
    """
    with contextlib.suppress(FileExistsError):
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())


class MarketDataDir:
    """A marketplace's directory: its keys, pepper, journal, hub and default databases."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)

    @property
    def database_url(self) -> str:
        return sqlite_url(self.path / "market.sqlite3")

    @property
    def hub(self) -> Path:
        """Webhook secrets are kept in clear (signing needs them): the file is made 0600."""
        path = self.path / "hub.sqlite3"
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        return path

    def identity(self) -> Identity:
        """The marketplace's signing and encryption keys, made on first use."""
        path = self.path / "marketplace.key"
        if not path.exists():
            fresh = Identity.generate()
            seeds = {
                "signing_seed": fresh.signing.seed_bytes.hex(),
                "encryption_seed": fresh.encryption.seed_bytes.hex(),
            }
            _create_secret(path, json.dumps(seeds))
        seeds = json.loads(path.read_text())
        return Identity(
            SigningKey(bytes.fromhex(seeds["signing_seed"])),
            EncryptionKey(bytes.fromhex(seeds["encryption_seed"])),
        )

    def pepper(self) -> Pepper:
        """The server secret that keys API key hashes, made on first use."""
        path = self.path / "api-key.pepper"
        if not path.exists():
            _create_secret(path, secrets.token_bytes(Pepper.SIZE).hex())
        return Pepper(bytes.fromhex(path.read_text().strip()))


class PaymentsByAgents:
    """The settlement's payments port in this deployment: the marketplace pays nothing.

    Consumers' agents pay from their own device keys (``plaza.market.ledger_payments``
    runs on their side); the marketplace holds no participant's key, so every
    paying step refuses with :class:`~plaza.market.settlement.PaymentFailed`
    rather than being faked. Whether a payment applied is a question for the
    ledger: ``confirmations`` (a :class:`LedgerPayments` over the node, holding
    no device key) answers it when a node is configured.
    """

    REASON = "payments are made by the consumer's agent in this deployment"

    def __init__(self, confirmations: Payments | None = None) -> None:
        self._confirmations = confirmations

    def available(self, participant: str) -> int:
        raise PaymentFailed(participant, self.REASON)

    def fund(self, participant: str, amount: int, *, reference: str) -> None:
        raise PaymentFailed(reference, self.REASON)

    def prepare(self, contract: Contract) -> PreparedPayment:
        raise PaymentFailed(contract.id, self.REASON)

    def submit(self, payment: PreparedPayment) -> None:
        raise PaymentFailed(payment.message_id.hex(), self.REASON)

    def status(self, payment: PreparedPayment) -> PaymentStatus:
        if self._confirmations is None:
            raise PaymentFailed(payment.message_id.hex(), "no ledger node is configured")
        return self._confirmations.status(payment)


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
    client = httpx.Client()
    closers.append(client.close)
    handlers: dict[str, Handler] = {WEBHOOK_JOB: WebhookDeliverer(subscriptions, client, clock)}
    mqtt_root = None
    if settings.mqtt_host is not None:
        publisher = MqttPublisher(settings.mqtt_host, settings.mqtt_port)
        closers.append(publisher.close)
        handlers[MQTT_JOB] = MqttRelay(publisher)
        mqtt_root = settings.mqtt_root
    stream = EventStream()
    hub = NotificationHub(subscriptions, queue, clock, stream=stream, mqtt_root=mqtt_root)
    return hub, stream, Worker(queue, handlers)


def _payments(
    settings: MarketSettings, clock: Clock, closers: list[Callable[[], object]]
) -> PaymentsByAgents:
    """Refusing to pay; reading confirmations from the node when one is configured."""
    if not settings.node_url:
        return PaymentsByAgents()
    node = NodeClient(settings.node_url)
    closers.append(node.close)
    return PaymentsByAgents(LedgerPayments(RemoteTransferLedger(node, clock=clock), ()))


def _marketplace(
    settings: MarketSettings,
    engine: Engine,
    journal: BookStore,
    key: SigningKey,
    *,
    payments: Payments,
    listener: SettlementListener,
    clock: Clock,
) -> Marketplace:
    settlement = SettlementService(SqlSettlementStore(engine), payments, clock, listener=listener)
    book = BidManager(journal, clock=clock, policy=settings.policy)
    desk = ContractDesk(key, settlement)
    return Marketplace(book=book, journal=journal, desk=desk, settlement=settlement)


def _services(
    settings: MarketSettings, data: MarketDataDir, clock: Clock, closers: list[Callable[[], object]]
) -> MarketServices:
    """Every adapter the settings choose; each one that holds a resource joins ``closers``."""
    identity = data.identity()
    audience = settings.audience or str(identity.address)
    engine = _open_engine(settings, data)
    closers.append(engine.dispose)
    upgrade_schema(engine)
    journal = SqliteBookStore(data.path / "book.sqlite3")
    closers.append(journal.close)
    hub, stream, worker = _open_hub(settings, data, clock, closers)
    notifier = MarketNotifier(hub, clock)
    participants = SqlParticipantStore(engine)
    return MarketServices(
        marketplace=_marketplace(
            settings, engine, journal, identity.signing, listener=notifier, clock=clock,
            payments=_payments(settings, clock, closers),
        ),
        registry=ParticipantRegistry(participants, clock, audience=audience),
        api_keys=ApiKeyService(SqlApiKeyStore(engine), participants, data.pepper(), clock),
        verifier=RequestVerifier(participants, SqlNonceStore(engine), clock, audience=audience),
        hub=hub, stream=stream, notifier=notifier,
        contracts=ContractIndex(journal, identity.signing),
        identity=identity, audience=audience, policy=settings.policy, clock=clock,
        node_url=settings.node_url or None, worker=worker,
        config=MarketApiConfig(periodic_interval_s=settings.periodic_interval_s),
    )  # fmt: skip


def build_market(
    settings: MarketSettings,
    *,
    clock: Clock | None = None,
    config: MarketApiConfig | None = None,
) -> MarketRuntime:
    """A marketplace for ``settings``: keys and pepper made on first run, the schema
    migrated, journaled matches that lack a contract reconciled. Close it when done.

    ``config`` replaces the API settings derived from ``settings`` (tests shorten
    the periodic interval and the worker's poll).
    """
    closers: list[Callable[[], object]] = []
    data = MarketDataDir(settings.data_dir)
    try:
        services = _services(settings, data, clock or SystemClock(), closers)
        if config is not None:
            services = dataclasses.replace(services, config=config)
        services.marketplace.reconcile()
        services.contracts.refresh()
    except BaseException:
        _close_all(closers)
        raise
    return MarketRuntime(services, closers)
