"""How each energy module is wired over the adapters of its ports, whichever they are.

A ``build_*`` takes a module's keys and adapters and hands the pure domain class its
ports: its outbox on the job queue it is given (:mod:`plaza.bootstrap.energy_outbox`:
letters a peer refuses are logged, and a refused ``/match`` goes back to the bid
manager), its twins, its owner rules. Each
outbox is given the module's address book (:mod:`plaza.bootstrap.energy_addresses`),
read when a letter leaves, so letters queued before a restart on new ports go to the
new ones. The running modules get their SQLite files and key files from
:mod:`plaza.bootstrap.energy_modules`; the unit tests build the same modules over memory
adapters and in-memory keys, so what a module does is tested apart from its files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from plaza.api.energy import AssetService, BidManagerService, MarketplaceService, OwnerService
from plaza.bootstrap.energy_addresses import asset_address, marketplace_address, only
from plaza.bootstrap.energy_outbox import (
    MatchRefusals,
    asset_refusals,
    logged_refusals,
    module_outbox,
    owner_refusals,
)
from plaza.channels import CursorStore
from plaza.clock import Clock
from plaza.crypto import Identity
from plaza.energy.asset.config import AssetConfig, AssetSettings
from plaza.energy.asset.funding import OwnerFunder
from plaza.energy.asset.module import AssetModule
from plaza.energy.asset.ports import AssetStore
from plaza.energy.backend.model import MarketplaceSettings
from plaza.energy.backend.onboarding import Onboarding, OnboardingStore
from plaza.energy.backend.ports import MarketplaceStore
from plaza.energy.backend.service import EnergyMarketplace
from plaza.energy.bidmanager.ports import BidStore
from plaza.energy.bidmanager.service import EnergyBidManager
from plaza.energy.keys import ModuleSecrets
from plaza.energy.ledger import LedgerAccess
from plaza.energy.link import EnergyOutbox
from plaza.energy.owner.ports import OwnerKeys, OwnerStore
from plaza.energy.peers import BIDMANAGER, MARKETPLACE, USER_MODULE, Peer
from plaza.energy.twins import Twins, parse_reader_key, read_twin
from plaza.jobs import JobQueue
from plaza.market.auth import NonceStore
from plaza.market.auth.outbox import Link
from plaza.market.book.ports import BookStore
from plaza.market.book.service import BidManager
from plaza.market.matching import MatchingPolicy
from plaza.market.payments.service import DeviceAccount, LedgerPayments

__all__ = [
    "DEFAULT_VALIDITY_MS",
    "build_asset",
    "build_bidmanager",
    "build_marketplace",
    "build_owner",
]

#: How long a bid may wait on the book (the seed's offers are valid for 24 hours).
DEFAULT_VALIDITY_MS = 24 * 3600 * 1000


def build_asset(
    keys: ModuleSecrets,
    *,
    store: AssetStore,
    cursors: CursorStore,
    nonces: NonceStore,
    uuid: str,
    ledger: LedgerAccess,
    link: Link,
    queue: JobQueue,
    clock: Clock,
    settings: AssetSettings | None = None,
) -> AssetService:
    """The device with these keys over the adapters given (:func:`open_asset`'s files, or
    memory in tests)."""
    twins = Twins(
        identity=keys.identity, gateway=ledger.ledger, cursors=cursors, index=store, clock=clock
    )
    outbox = _asset_outbox(
        queue, link, keys.identity, clock, store=store, config=lambda: module.config
    )
    module = AssetModule(
        uuid=uuid,
        identity=keys.identity,
        wallet_address=str(keys.wallet_key.public_key.address),
        store=store,
        twins=twins,
        first_twin_state=_first_twin_state(twins, ledger, keys.identity),
        letters=outbox,
        payments=_device_payments(ledger, link, keys, clock, lambda: module.config),
        clock=clock,
        settings=settings,
        nonces=nonces,
    )
    return AssetService(module=module, store=store, cursors=cursors, outbox=outbox)


def _asset_outbox(
    queue: JobQueue,
    link: Link,
    identity: Identity,
    clock: Clock,
    *,
    store: AssetStore,
    config: Callable[[], AssetConfig],
) -> EnergyOutbox:
    """The device's letters, signed as its asset id, to wherever its configuration says its
    marketplace and owner are when each leaves; a refusal is logged in its store."""
    return module_outbox(
        queue,
        link,
        identity,
        clock,
        sender=lambda: config().asset_id,
        address=asset_address(config),
        on_refused=asset_refusals(store, clock),
    )


def _device_payments(
    ledger: LedgerAccess,
    link: Link,
    keys: ModuleSecrets,
    clock: Clock,
    config: Callable[[], AssetConfig],
) -> LedgerPayments:
    """The device's wallet as the market pays from it, funded by its owner (``/fund``) when
    short."""
    funder = OwnerFunder(
        link=link, ledger=ledger, identity=keys.identity, config=config, clock=clock
    )
    return LedgerPayments(ledger.ledger, [DeviceAccount(keys.wallet_key, funder)])


def _first_twin_state(
    twins: Twins, ledger: LedgerAccess, identity: Identity
) -> Callable[[str], Mapping[str, Any] | None]:
    """The first state a record's twin holds, read back from the ledger (``None`` if unread)."""

    def first(record_id: str) -> Mapping[str, Any] | None:
        key = parse_reader_key(twins.reader_key(record_id))
        entries, problems = read_twin(ledger.ledger, key, identity.public_key, ledger.confirmed)
        return entries[0].state if entries and not problems else None

    return first


class _MarketplaceStore(MarketplaceStore, OnboardingStore, Protocol):
    """The marketplace's database as the marketplace and its owner rules both use it."""


def build_marketplace(
    identity: Identity,
    *,
    store: _MarketplaceStore,
    cursors: CursorStore,
    nonces: NonceStore,
    ledger: LedgerAccess,
    link: Link,
    queue: JobQueue,
    clock: Clock,
    bidmanager: Peer,
    settings: MarketplaceSettings | None = None,
    user_module: Peer | None = None,
) -> MarketplaceService:
    """The marketplace with this identity over the adapters given (:func:`open_marketplace`'s
    file, or memory in tests)."""
    refused = logged_refusals(store, clock)
    address = marketplace_address(store, bidmanager)
    outbox = module_outbox(
        queue, link, identity, clock, sender=MARKETPLACE, address=address, on_refused=refused
    )
    onboarding = _onboarding(
        user_module, identity, store=store, clock=clock, nonces=nonces, link=link
    )
    marketplace = EnergyMarketplace(
        identity=identity,
        store=store,
        outbox=outbox,
        cursors=cursors,
        ledger=ledger,
        payments=LedgerPayments(ledger.ledger, ()),  # checks reported payments, pays none
        clock=clock,
        bidmanager=bidmanager,
        settings=settings,
        nonces=nonces,
        onboarding=onboarding,
    )
    return MarketplaceService(marketplace=marketplace, store=store, cursors=cursors, outbox=outbox)


def _onboarding(
    user_module: Peer | None,
    identity: Identity,
    *,
    store: OnboardingStore,
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


def build_bidmanager(
    identity: Identity,
    *,
    store: BidStore,
    journal: BookStore,
    nonces: NonceStore,
    link: Link,
    queue: JobQueue,
    clock: Clock,
    marketplace: Peer,
    policy: MatchingPolicy,
    validity_ms: int = DEFAULT_VALIDITY_MS,
) -> BidManagerService:
    """The bid manager with this identity over the adapters given (:func:`open_bidmanager`'s
    file, or memory in tests), its book rebuilt from ``journal``; the store and journal are
    closed if it cannot start."""
    with _closed_on_failure(journal, store):
        refusals = MatchRefusals(store, clock)
        outbox = _bidmanager_outbox(
            queue, link, identity, clock, marketplace=marketplace, refusals=refusals
        )
        bidmanager = EnergyBidManager(
            identity=identity,
            book=BidManager(journal, clock=clock, policy=policy),
            journal=journal,
            store=store,
            outbox=outbox,
            clock=clock,
            marketplace_key=marketplace.key,
            validity_ms=validity_ms,
            nonces=nonces,
        )
        refusals.bidmanager = bidmanager
        bidmanager.cycle()
    return BidManagerService(bidmanager=bidmanager, store=store, journal=journal, outbox=outbox)


def _bidmanager_outbox(
    queue: JobQueue,
    link: Link,
    identity: Identity,
    clock: Clock,
    *,
    marketplace: Peer,
    refusals: MatchRefusals,
) -> EnergyOutbox:
    """The bid manager's outbox: its letters go to the marketplace only, and what the
    marketplace refuses goes to ``refusals``."""
    return module_outbox(
        queue,
        link,
        identity,
        clock,
        sender=BIDMANAGER,
        address=only(MARKETPLACE, marketplace.url),
        on_refused=refusals,
    )


class _Closable(Protocol):
    def close(self) -> None: ...


@contextmanager
def _closed_on_failure(*resources: _Closable) -> Iterator[None]:
    """Close ``resources``, in order, if the block raises: a module that cannot start
    leaves no file or connection open behind it."""
    try:
        yield
    except BaseException:
        for resource in resources:
            resource.close()
        raise


def build_owner(
    identity: Identity,
    *,
    keys: OwnerKeys,
    store: OwnerStore,
    nonces: NonceStore,
    ledger: LedgerAccess,
    link: Link,
    queue: JobQueue,
    clock: Clock,
    marketplace: Peer,
    public_url: str,
) -> OwnerService:
    """The user module with this identity over the keys and adapters given
    (:func:`open_owner`'s files, or memory in tests)."""
    outbox = module_outbox(
        queue,
        link,
        identity,
        clock,
        sender=USER_MODULE,
        address=only(MARKETPLACE, marketplace.url),
        on_refused=owner_refusals(store, clock),
    )
    return OwnerService(
        store=store,
        queue=queue,
        keys=keys,
        identity=identity,
        ledger=ledger,
        link=link,
        clock=clock,
        marketplace=marketplace,
        public_url=public_url,
        outbox=outbox,
        nonces=nonces,
    )
