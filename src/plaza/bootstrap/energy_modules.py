"""Each energy module opened from its data directory: which adapters, keys and files.

This is the composition root of the four modules of the energy seed: a module's
``open_*`` loads (or makes) its keys, opens its SQLite files and its seen-nonce
store, builds its outbox on the job queue it is given, and hands the pure domain
class its ports; the ``*Service`` it returns (:mod:`plaza.api.energy`) serves it.
The ``*_key`` functions read a module's public keys (made on first use), so the
modules can be told each other's keys before any is opened.

=============  ================================================================
module         files in its data directory
=============  ================================================================
asset          ``asset.key``, ``energy_broker.sqlite3`` (also the twins' cursors)
marketplace    ``marketplace.key``, ``marketplace.sqlite3``
bid manager    ``bidmanager.key``, ``bidmanager.sqlite3`` (also the book's journal)
user module    ``owner.key``, ``owner-wallets.key``, ``owner.sqlite3``
=============  ================================================================

Each also keeps its seen letter nonces (:data:`~plaza.energy.nonces.NONCES_FILE`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from plaza.api.energy import AssetService, BidManagerService, MarketplaceService, OwnerService
from plaza.channels.cursors import SqliteCursorStore
from plaza.clock import Clock
from plaza.crypto import Identity
from plaza.energy.asset.config import AssetConfig, AssetSettings
from plaza.energy.asset.funding import LedgerPaymentPort, OwnerFunder
from plaza.energy.asset.module import AssetModule
from plaza.energy.asset.store import DB_NAME, SqliteAssetStore
from plaza.energy.backend.model import MARKETPLACE, MarketplaceSettings, Peer
from plaza.energy.backend.onboarding import Onboarding
from plaza.energy.backend.service import Marketplace
from plaza.energy.backend.store import SqliteMarketplaceStore
from plaza.energy.bidmanager.service import BIDMANAGER, EnergyBidManager
from plaza.energy.bidmanager.store import SqliteBidStore
from plaza.energy.envelope import ModuleKey
from plaza.energy.errors import NotConfigured
from plaza.energy.keys import ModuleSecrets, load_or_create
from plaza.energy.ledger import LedgerAccess
from plaza.energy.link import Link, OnRefused, Outbox, Refusal
from plaza.energy.nonces import NONCES_FILE, SqliteNonces
from plaza.energy.owner.store import SqliteOwnerStore
from plaza.energy.owner.wallets import OwnerWallets
from plaza.energy.questions import USER_MODULE
from plaza.energy.twins import Twins, parse_reader_key, read_twin
from plaza.jobs import JobQueue
from plaza.market.auth import NonceStore
from plaza.market.errors import UnknownPolicy
from plaza.market.ledger_payments import LedgerPayments
from plaza.market.matching import MatchingPolicy, policy_named
from plaza.market.service import BidManager
from plaza.market.sqlite import SqliteBookStore

__all__ = [
    "DEFAULT_VALIDITY_MS",
    "KEY_FILE",
    "bidmanager_key",
    "marketplace_key",
    "open_asset",
    "open_bidmanager",
    "open_marketplace",
    "open_owner",
    "owner_key",
]

#: The asset's keys (identity and wallet) in its data directory.
KEY_FILE = "asset.key"
#: How long a bid may wait on the book (the seed's offers are valid for 24 hours).
DEFAULT_VALIDITY_MS = 24 * 3600 * 1000


def open_asset(
    data_dir: Path,
    *,
    uuid: str,
    ledger: LedgerAccess,
    link: Link,
    queue: JobQueue,
    clock: Clock,
    settings: AssetSettings | None = None,
) -> AssetService:
    """Open (or create) the device kept in ``data_dir``; ``uuid`` is its owner's secret."""
    keys = load_or_create(data_dir / KEY_FILE)
    store, cursors = SqliteAssetStore(data_dir / DB_NAME), SqliteCursorStore(data_dir / DB_NAME)
    twins = Twins(
        identity=keys.identity, gateway=ledger.channels, cursors=cursors, index=store, clock=clock
    )
    refused = _asset_refusals(store, clock)
    outbox = _outbox(
        queue, link, keys.identity, clock, sender=lambda: module.config.asset_id, on_refused=refused
    )
    module = AssetModule(
        uuid=uuid,
        identity=keys.identity,
        wallet_address=str(keys.wallet_key.public_key.address),
        store=store,
        twins=twins,
        first_twin_state=_first_twin_state(twins, ledger, keys.identity),
        letters=outbox,
        payments=_payment_port(ledger, link, keys, clock, lambda: module.config),
        clock=clock,
        settings=settings,
        nonces=SqliteNonces(data_dir / NONCES_FILE),
    )
    return AssetService(module=module, store=store, cursors=cursors, outbox=outbox)


def _payment_port(
    ledger: LedgerAccess,
    link: Link,
    keys: ModuleSecrets,
    clock: Clock,
    config: Callable[[], AssetConfig],
) -> LedgerPaymentPort:
    """The device's wallet on the ledger, funded by its owner (``/fund``) when short."""

    def balance() -> int:
        return port.balance()

    funder = OwnerFunder(
        link=link,
        ledger=ledger,
        identity=keys.identity,
        config=config,
        clock=clock,
        balance=balance,
    )
    port = LedgerPaymentPort(ledger, keys.wallet_key, funder)
    return port


def _asset_refusals(store: SqliteAssetStore, clock: Clock) -> OnRefused:
    """A peer refused one of the device's letters: logged, as it would refuse it again."""

    def refused(refusal: Refusal) -> None:
        reason = f"{refusal.url}{refusal.path}: {refusal.reason}"
        store.log("letter_refused", reason, now_ms=clock.now_ms(), ok=False)

    return refused


def _first_twin_state(
    twins: Twins, ledger: LedgerAccess, identity: Identity
) -> Callable[[str], Mapping[str, Any] | None]:
    """The first state a record's twin holds, read back from the ledger (``None`` if unread)."""

    def first(record_id: str) -> Mapping[str, Any] | None:
        key = parse_reader_key(twins.reader_key(record_id))
        entries, problems = read_twin(ledger.channels, key, identity.public_key, ledger.confirmed)
        return entries[0].state if entries and not problems else None

    return first


def _outbox(
    queue: JobQueue,
    link: Link,
    identity: Identity,
    clock: Clock,
    *,
    sender: str | Callable[[], str],
    on_refused: OnRefused,
) -> Outbox:
    """A module's outbox: its letters signed by ``identity`` as ``sender`` (or ``sender()``)."""
    named = (lambda: sender) if isinstance(sender, str) else sender
    return Outbox(
        queue, link, sender=named, identity=lambda: identity, clock=clock, on_refused=on_refused
    )


def marketplace_key(data_dir: Path) -> ModuleKey:
    """The public keys of the marketplace in ``data_dir`` (made on first use), for its peers."""
    return ModuleKey.of(load_or_create(data_dir / "marketplace.key").identity)


def open_marketplace(
    data_dir: Path,
    *,
    ledger: LedgerAccess,
    link: Link,
    queue: JobQueue,
    clock: Clock,
    bidmanager_url: str,
    bidmanager_key: ModuleKey,
    settings: MarketplaceSettings | None = None,
    user_module: Peer | None = None,
) -> MarketplaceService:
    """The marketplace whose keys and ``marketplace.sqlite3`` are in ``data_dir``; with
    ``user_module`` (its URL and keys), the owner rules of
    :mod:`~plaza.energy.backend.onboarding` are checked with it."""
    identity = load_or_create(data_dir / "marketplace.key").identity
    database = data_dir / "marketplace.sqlite3"
    cursors = SqliteCursorStore(database)  # first: it makes the file private (cursor secrets)
    store = SqliteMarketplaceStore(database)
    refused = _refusal_logger(store, clock)
    outbox = _outbox(queue, link, identity, clock, sender=MARKETPLACE, on_refused=refused)
    nonces = SqliteNonces(data_dir / NONCES_FILE)
    onboarding = _onboarding(
        user_module, identity, store=store, clock=clock, nonces=nonces, link=link
    )
    marketplace = Marketplace(
        identity=identity,
        store=store,
        outbox=outbox,
        cursors=cursors,
        ledger=ledger,
        payments=LedgerPayments(ledger.transfers, ()),  # checks reported payments, pays none
        clock=clock,
        bidmanager=Peer(bidmanager_url, bidmanager_key),
        settings=settings,
        nonces=nonces,
        onboarding=onboarding,
    )
    return MarketplaceService(marketplace=marketplace, store=store, cursors=cursors, outbox=outbox)


def _onboarding(
    user_module: Peer | None,
    identity: Identity,
    *,
    store: SqliteMarketplaceStore,
    clock: Clock,
    nonces: NonceStore,
    link: Link,
) -> Onboarding | None:
    """The owner rules, checked with the user module (none without one: tests, old stacks)."""
    if user_module is None:
        return None
    return Onboarding(
        identity=identity,
        store=store,
        clock=clock,
        nonces=nonces,
        link=link,
        user_module=user_module,
    )


def _refusal_logger(store: SqliteMarketplaceStore, clock: Clock) -> OnRefused:
    """A peer refused a letter: it would refuse it again, so the log is where it ends."""

    def log(refusal: Refusal) -> None:
        store.log(
            now_ms=clock.now_ms(),
            operation="deliver",
            record_id=refusal.url + refusal.path,
            outcome="refused",
            detail=refusal.reason,
        )

    return log


def bidmanager_key(data_dir: Path) -> ModuleKey:
    """The public keys of the bid manager in ``data_dir`` (made on first use), for its peers."""
    return ModuleKey.of(load_or_create(data_dir / "bidmanager.key").identity)


def open_bidmanager(
    data_dir: Path,
    *,
    link: Link,
    queue: JobQueue,
    clock: Clock,
    marketplace_url: str,
    marketplace_key: ModuleKey,
    policy: str = "one_to_one",
    validity_ms: int = DEFAULT_VALIDITY_MS,
) -> BidManagerService:
    """The bid manager of ``data_dir``, its book rebuilt and a crash's leftovers finished;
    ``policy`` names a market policy (an unknown one is refused: ``NotConfigured``)."""
    matching = _policy(policy)
    identity = load_or_create(data_dir / "bidmanager.key").identity
    database = data_dir / "bidmanager.sqlite3"
    store, journal = SqliteBidStore(database), SqliteBookStore(database)
    try:
        refusals = _Refusals(store, clock)
        outbox = _outbox(queue, link, identity, clock, sender=BIDMANAGER, on_refused=refusals)
        bidmanager = EnergyBidManager(
            identity=identity,
            book=BidManager(journal, clock=clock, policy=matching),
            journal=journal,
            store=store,
            outbox=outbox,
            clock=clock,
            marketplace_url=marketplace_url,
            marketplace_key=marketplace_key,
            validity_ms=validity_ms,
            nonces=SqliteNonces(data_dir / NONCES_FILE),
        )
        refusals.bidmanager = bidmanager
        bidmanager.cycle()
    except BaseException:
        journal.close()
        store.close()
        raise
    return BidManagerService(bidmanager=bidmanager, store=store, journal=journal, outbox=outbox)


def _policy(name: str) -> MatchingPolicy:
    try:
        return policy_named(name)
    except UnknownPolicy as error:
        raise NotConfigured(f"the bid manager cannot start: {error}") from None


class _Refusals:
    """The outbox's ``on_refused``: the marketplace refused a letter, and would again.

    The refusal is logged; a refused ``/match`` goes to the bid manager with the
    marketplace's details (:meth:`~plaza.energy.bidmanager.service.EnergyBidManager.match_refused`),
    and the bid manager puts the pair's live bid back on the book. Until the bid
    manager is open, a refusal raises, so its delivery is retried rather than lost.
    """

    def __init__(self, store: SqliteBidStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self.bidmanager: EnergyBidManager | None = None

    def __call__(self, refusal: Refusal) -> None:
        if refusal.path == "/match" and self.bidmanager is None:
            raise RuntimeError("a /match was refused before the bid manager was open")
        self._store.log(
            now_ms=self._clock.now_ms(),
            operation="deliver",
            record_id=refusal.url + refusal.path,
            outcome="refused",
            detail=refusal.reason,
        )
        if refusal.path == "/match" and self.bidmanager is not None:
            self.bidmanager.match_refused(refusal.body, refusal.reason, details=refusal.details)


def owner_key(data_dir: Path) -> ModuleKey:
    """The public keys of the user module in ``data_dir`` (made on first use), for its peers."""
    return ModuleKey.of(load_or_create(data_dir / "owner.key").identity)


def open_owner(
    data_dir: Path,
    *,
    ledger: LedgerAccess,
    link: Link,
    queue: JobQueue,
    clock: Clock,
    marketplace_url: str,
    marketplace_key: ModuleKey,
    public_url: str,
) -> OwnerService:
    """The user module on ``data_dir``: ``owner.key`` (its identity, letters are sealed to
    it), ``owner-wallets.key`` (the owners' wallet seed) and ``owner.sqlite3``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    identity = load_or_create(data_dir / "owner.key").identity
    store = SqliteOwnerStore(data_dir / "owner.sqlite3")

    def refused(refusal: Refusal) -> None:
        store.log(clock.now_ms(), "deliver", refusal.url + refusal.path, "refused", refusal.reason)

    return OwnerService(
        store=store,
        queue=queue,
        keys=OwnerWallets.load_or_create(data_dir / "owner-wallets.key"),
        identity=identity,
        ledger=ledger,
        link=link,
        clock=clock,
        marketplace_url=marketplace_url,
        marketplace_key=marketplace_key,
        public_url=public_url,
        outbox=_outbox(queue, link, identity, clock, sender=USER_MODULE, on_refused=refused),
        nonces=SqliteNonces(data_dir / NONCES_FILE),
    )
