"""The energy marketplace's four modules wired together: one stack, each module its own service.

:class:`EnergyStack` opens the marketplace backend, the bid manager and the user
module, each in its own directory under ``root`` with its own keys, SQLite file,
job queue and HTTP server on loopback, and any number of asset modules (one per
device) likewise. Keys are made (or read) first, so the marketplace, the bid manager and
the user module can each be given the others' URLs and public keys before any starts.

``plaza demo`` runs a stack with threads (jobs and cycles in the background);
the end-to-end tests run one on a fake clock and drive every step by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from plaza.api.energy import AssetService, BidManagerService, MarketplaceService, OwnerService
from plaza.api.energy.link import HttpLink
from plaza.bootstrap.energy_hosting import Hosted
from plaza.bootstrap.energy_modules import (
    bidmanager_key,
    marketplace_key,
    open_asset,
    open_bidmanager,
    open_marketplace,
    open_owner,
    owner_key,
)
from plaza.energy.backend.model import MarketplaceSettings
from plaza.energy.envelope import ModuleKey
from plaza.energy.ledger import LedgerAccess
from plaza.energy.peers import Peer
from plaza.jobs import JobQueue, RetryPolicy
from plaza.jobs.sqlite import SqliteQueue
from plaza.ledger.ports import Clock
from plaza.market.auth.outbox import Link
from plaza.sqlite import private_folder

__all__ = ["EnergyStack", "StackSettings"]


QueueFactory = Callable[[Path], JobQueue]

#: A module's letters are retried for as long as their recipient is known (see
#: :mod:`plaza.market.auth.outbox`), at most a minute apart: a peer back from an outage
#: or a restart hears from its senders within a minute.
LETTER_RETRIES = RetryPolicy(max_delay_ms=60_000)


@dataclass(frozen=True, slots=True)
class StackSettings:
    """How the stack's modules behave; the demo shortens every wait."""

    policy: str = "one_to_one"
    exclude_after_claims: int = 0
    payment_wait_ms: int = 1000  # the marketplace's least spacing of reminders and the claim
    host: str = "127.0.0.1"
    auditors: Mapping[str, ModuleKey] = field(default_factory=dict)  # GET /audit/{id} readers


class EnergyStack:
    """Marketplace, bid manager, user module and assets, each served on its own port."""

    def __init__(
        self,
        root: Path,
        *,
        ledger: LedgerAccess,
        clock: Clock,
        settings: StackSettings | None = None,
        link: Link | None = None,
        queues: QueueFactory | None = None,
    ) -> None:
        self.root = root
        self.settings = settings or StackSettings()
        self._ledger = ledger
        self._clock = clock
        self._link = link or HttpLink()
        self._queues = queues or (
            lambda path: SqliteQueue(path / "jobs.sqlite3", clock, policy=LETTER_RETRIES)
        )
        self.assets: dict[str, Hosted[AssetService]] = {}
        host = self.settings.host
        self.marketplace: Hosted[MarketplaceService] = Hosted(
            "marketplace", self._queue("marketplace"), host=host
        )
        self.bidmanager: Hosted[BidManagerService] = Hosted(
            "bidmanager", self._queue("bidmanager"), host=host
        )
        self.owner: Hosted[OwnerService] = Hosted("owner", self._queue("owner"), host=host)
        self._build_core()

    def _queue(self, name: str) -> JobQueue:
        return self._queues(private_folder(self.root / name))

    def _build_core(self) -> None:
        self._build_marketplace()
        bid_dir = self.root / "bidmanager"
        self.bidmanager.build(
            open_bidmanager(
                bid_dir,
                link=self._link,
                queue=self.bidmanager.queue,
                clock=self._clock,
                marketplace_url=self.marketplace.url,
                marketplace_key=self.marketplace_key,
                policy=self.settings.policy,
            )
        )
        self.owner.build(
            open_owner(
                self.root / "owner",
                ledger=self._ledger,
                link=self._link,
                queue=self.owner.queue,
                clock=self._clock,
                marketplace_url=self.marketplace.url,
                marketplace_key=self.marketplace_key,
                public_url=self.owner.url,
            )
        )

    def _build_marketplace(self) -> None:
        """The marketplace module, which knows the bid manager's and the user module's keys."""
        market_dir, bid_dir = self.root / "marketplace", self.root / "bidmanager"
        self.marketplace_key = marketplace_key(market_dir)
        user_module = Peer(self.owner.url, owner_key(self.root / "owner"))
        self.marketplace.build(
            open_marketplace(
                market_dir,
                ledger=self._ledger,
                link=self._link,
                queue=self.marketplace.queue,
                clock=self._clock,
                bidmanager_url=self.bidmanager.url,
                bidmanager_key=bidmanager_key(bid_dir),
                settings=MarketplaceSettings(
                    exclude_after_claims=self.settings.exclude_after_claims,
                    payment_wait_ms=self.settings.payment_wait_ms,
                    auditors=self.settings.auditors,
                ),
                user_module=user_module,
            )
        )

    def add_asset(self, name: str, uuid: str) -> Hosted[AssetService]:
        """Open (or reopen) the device ``name`` with its ``uuid``; serve it on :meth:`start`."""
        hosted: Hosted[AssetService] = Hosted(
            f"asset-{name}", self._queue(f"assets/{name}"), host=self.settings.host
        )
        hosted.build(
            open_asset(
                self.root / "assets" / name,
                uuid=uuid,
                ledger=self._ledger,
                link=self._link,
                queue=hosted.queue,
                clock=self._clock,
            )
        )
        self.assets[name] = hosted
        return hosted

    def modules(
        self,
    ) -> Iterator[
        Hosted[AssetService]
        | Hosted[MarketplaceService]
        | Hosted[BidManagerService]
        | Hosted[OwnerService]
    ]:
        yield self.marketplace
        yield self.bidmanager
        yield self.owner
        yield from self.assets.values()

    def start(self, *, threads: bool, cycle_s: float = 1.0) -> None:
        for hosted in self.modules():
            hosted.start(threads=threads, cycle_s=cycle_s)

    def settle(self, *, rounds: int = 20) -> int:
        """Deliver every queued letter and run every cycle until nothing moves (fake-clock
        tests); how many jobs ran."""
        total = 0
        for _ in range(rounds):
            ran = sum(hosted.drain() for hosted in self.modules())
            total += ran
            if ran == 0:
                return total
        return total

    def cycle(self) -> None:
        for hosted in self.modules():
            hosted.cycle()

    def stop(self) -> None:
        for hosted in reversed(list(self.modules())):
            hosted.stop()
