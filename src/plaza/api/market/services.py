"""What the marketplace app serves: the use cases and adapters, wired by the composition root.

The app receives everything ready-made (:func:`plaza.bootstrap.build_market`
builds it) and owns none of it, except the background threads of
:mod:`plaza.api.market.background` that run while it serves. Tests build their
own bundle around in-memory adapters the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from plaza.api.market.contracts_index import ContractIndex
from plaza.api.market.notifications import MarketNotifier
from plaza.api.market.stream_guard import StreamGuard
from plaza.clock import Clock
from plaza.crypto import Identity
from plaza.jobs import Worker
from plaza.market.audit.service import Auditor
from plaza.market.auth import ApiKeyService, ParticipantRegistry, RequestVerifier
from plaza.market.leases import Lease, SoleLease
from plaza.market.marketplace import Marketplace
from plaza.market.twins.staging import StagedTwins
from plaza.notify import EventStream, NotificationHub

__all__ = ["MarketApiConfig", "MarketServices"]


@dataclass(frozen=True, slots=True)
class MarketApiConfig:
    """What the HTTP layer adds: body bound, stream keepalive, background cadence.

    64 KiB holds any order, registration or subscription many times over (they
    are well under 2 KiB), and a sealed body adds a third for base64 and the box.
    """

    max_body_bytes: int = 64 * 1024
    keepalive_s: float = 15.0
    periodic_interval_s: float = 1.0
    worker_poll_s: float = 0.5


@dataclass(frozen=True, slots=True)
class MarketServices:
    """One marketplace: its facade, who may call it, where events go, and its keys.

    ``identity`` is the marketplace's own: contracts are signed with its signing
    key and sealed request bodies are opened with its encryption key. ``audience``
    is the name participants sign requests and registrations for. ``worker``
    delivers the hub's webhooks and MQTT messages; ``None`` leaves delivery to
    someone else (a separate worker process, or a test driving it by hand).
    ``auditor`` answers the audit routes (``None``: they answer 503) and
    ``twins`` is the twin recorder whose read-only keys auditors may ask for, and
    whose outbox publisher the background runs (``None``: twins are off, no node
    is configured). ``data_dir`` is where verticals may keep their own files (the
    telco vertical's orders); ``None``: they keep them in memory. ``lease`` says
    whether this process runs the periodic round (and, through its publisher, the
    twins' writes): one worker of a marketplace at a time (:mod:`plaza.market.leases`).
    """

    marketplace: Marketplace
    registry: ParticipantRegistry
    api_keys: ApiKeyService
    verifier: RequestVerifier
    hub: NotificationHub
    stream: EventStream
    notifier: MarketNotifier
    contracts: ContractIndex
    identity: Identity
    audience: str
    policy: str
    clock: Clock
    node_url: str | None = None
    worker: Worker | None = None
    config: MarketApiConfig = field(default_factory=MarketApiConfig)
    auditor: Auditor | None = None
    twins: StagedTwins | None = None
    streams: StreamGuard = field(default_factory=StreamGuard)
    data_dir: Path | None = None
    lease: Lease = field(default_factory=SoleLease)

    def end_stale_streams(self) -> int:
        """End the live streams whose key was revoked or expired, or whose participant
        was excluded; how many ended."""
        return self.streams.sweep(self.api_keys, self.registry)
