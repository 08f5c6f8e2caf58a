"""Each energy module opened from its data directory: which adapters, keys and files.

This is the composition root of the four modules of the energy seed: a module's
``open_*`` loads (or makes) its keys, opens its SQLite files and its seen-nonce
store, and hands them to its ``build_*`` (:mod:`plaza.bootstrap.energy_wiring`),
which wires the pure domain class over them; the ``*Service`` it returns
(:mod:`plaza.api.energy`) serves it.
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

Each also keeps its seen letter nonces in ``nonces.sqlite3`` (:func:`open_nonces`): the
market's nonce store, so a replay is refused across restarts too.
"""

from __future__ import annotations

from pathlib import Path

from plaza.api.energy import AssetService, BidManagerService, MarketplaceService, OwnerService
from plaza.bootstrap.energy_wiring import (
    DEFAULT_VALIDITY_MS,
    build_asset,
    build_bidmanager,
    build_marketplace,
    build_owner,
)
from plaza.channels.cursors import SqliteCursorStore
from plaza.clock import Clock
from plaza.energy.asset.config import AssetSettings
from plaza.energy.asset.store import DB_NAME, SqliteAssetStore
from plaza.energy.backend.model import MarketplaceSettings
from plaza.energy.backend.store import SqliteMarketplaceStore
from plaza.energy.bidmanager.store import SqliteBidStore
from plaza.energy.envelope import ModuleKey
from plaza.energy.errors import NotConfigured
from plaza.energy.keys import load_or_create
from plaza.energy.ledger import LedgerAccess
from plaza.energy.owner.store import SqliteOwnerStore
from plaza.energy.owner.wallets import OwnerWallets
from plaza.energy.peers import Peer
from plaza.jobs import JobQueue
from plaza.market.auth.outbox import Link
from plaza.market.book.sqlite import SqliteBookStore
from plaza.market.errors import UnknownPolicy
from plaza.market.matching import MatchingPolicy, policy_named
from plaza.market.sql import SqlNonceStore, make_engine, sqlite_url
from plaza.market.sql.auth_tables import request_nonces
from plaza.sqlite import SqliteFile, private_folder

__all__ = [
    "DEFAULT_VALIDITY_MS",
    "KEY_FILE",
    "NONCES_FILE",
    "bidmanager_key",
    "marketplace_key",
    "open_asset",
    "open_bidmanager",
    "open_marketplace",
    "open_nonces",
    "open_owner",
    "owner_key",
]

#: The asset's keys (identity and wallet) in its data directory.
KEY_FILE = "asset.key"
#: The seen letter nonces in a module's data directory.
NONCES_FILE = "nonces.sqlite3"


def open_nonces(data_dir: Path) -> SqlNonceStore:
    """The market's nonce store on ``nonces.sqlite3`` in ``data_dir``, made private on first
    use; it outlives the process, so a letter opened before a restart is a replay after it."""
    path = data_dir / NONCES_FILE
    SqliteFile(path).close()  # creates the file (and so its WAL files) readable by its owner only
    engine = make_engine(sqlite_url(path))
    request_nonces.create(engine, checkfirst=True)
    return SqlNonceStore(engine)


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
    return build_asset(
        load_or_create(data_dir / KEY_FILE),
        store=SqliteAssetStore(data_dir / DB_NAME),
        cursors=SqliteCursorStore(data_dir / DB_NAME),
        nonces=open_nonces(data_dir),
        uuid=uuid,
        ledger=ledger,
        link=link,
        queue=queue,
        clock=clock,
        settings=settings,
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
    return build_marketplace(
        identity,
        store=SqliteMarketplaceStore(database),
        cursors=cursors,
        nonces=open_nonces(data_dir),
        ledger=ledger,
        link=link,
        queue=queue,
        clock=clock,
        bidmanager=Peer(bidmanager_url, bidmanager_key),
        settings=settings,
        user_module=user_module,
    )


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
    matching = _policy(policy)  # an unknown policy opens no file
    identity = load_or_create(data_dir / "bidmanager.key").identity
    database = data_dir / "bidmanager.sqlite3"
    return build_bidmanager(
        identity,
        store=SqliteBidStore(database),
        journal=SqliteBookStore(database),
        nonces=open_nonces(data_dir),
        link=link,
        queue=queue,
        clock=clock,
        marketplace=Peer(marketplace_url, marketplace_key),
        policy=matching,
        validity_ms=validity_ms,
    )


def _policy(name: str) -> MatchingPolicy:
    try:
        return policy_named(name)
    except UnknownPolicy as error:
        raise NotConfigured(f"the bid manager cannot start: {error}") from None


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
    private_folder(data_dir)
    return build_owner(
        load_or_create(data_dir / "owner.key").identity,
        keys=OwnerWallets.load_or_create(data_dir / "owner-wallets.key"),
        store=SqliteOwnerStore(data_dir / "owner.sqlite3"),
        nonces=open_nonces(data_dir),
        ledger=ledger,
        link=link,
        queue=queue,
        clock=clock,
        marketplace=Peer(marketplace_url, marketplace_key),
        public_url=public_url,
    )
