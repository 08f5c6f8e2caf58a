"""A running node: the tangle, its event hub, proof of work on request, the coordinator loop,
and on a devnet the faucet."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from plaza.crypto import Address, SigningKey
from plaza.ledger.admission import IngestResult
from plaza.ledger.carriers import is_carried_raw
from plaza.ledger.codec import message_id
from plaza.ledger.compose import attach_work
from plaza.ledger.coordinator import Coordinator
from plaza.ledger.errors import CarriedAlone
from plaza.ledger.genesis import Genesis
from plaza.ledger.ports import Clock, FaucetGrant, TangleStore
from plaza.ledger.pow import Blake2bWork, NoWork, ProofOfWork
from plaza.ledger.service import Tangle
from plaza.ledger.solidifier import LOCAL, HeldPolicy, Submitter
from plaza.ledger.validation import MessageValidator, ValidationRules
from plaza.node.errors import FaucetUnavailable
from plaza.node.events import EventHub
from plaza.node.faucet import FaucetPolicy, NodeFaucet
from plaza.node.ratelimit import TokenBucket
from plaza.node.verify import ThreadedVerifier

__all__ = ["NodeConfig", "NodeRuntime"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NodeConfig:
    """How a node behaves; the settings layer fills it from files and environment."""

    pow_difficulty: int = 11
    milestone_interval_s: float = 1.0
    coordinator: bool = True
    held_limit: int = 10_000
    held_per_client: int = 1_000
    held_per_peer: int = 5_000
    held_ttl_s: float = 120.0
    subscribers_per_client: int = 8
    subscribers_total: int = 256
    max_future_ms: int = 30_000
    pow_requests_per_s: float = 5.0
    pow_burst: int = 20
    verify_workers: int = 1
    faucet: FaucetPolicy = field(default_factory=FaucetPolicy)


class NodeRuntime:
    """Everything a node does besides speaking to the network."""

    def __init__(
        self,
        *,
        store: TangleStore,
        genesis: Genesis,
        config: NodeConfig,
        clock: Clock,
        coordinator_keys: list[SigningKey] | None = None,
        faucet_key: SigningKey | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.work: ProofOfWork = (
            Blake2bWork(config.pow_difficulty) if config.pow_difficulty else NoWork()
        )
        self.events = EventHub(
            per_client=config.subscribers_per_client, total=config.subscribers_total
        )
        self._verifier = ThreadedVerifier(config.verify_workers)
        self.store = store
        self.tangle = self._tangle(store, genesis)
        self.coordinator = (
            Coordinator(self.tangle, coordinator_keys or [], clock=clock, work=self.work)
            if config.coordinator
            else None
        )
        self._pow_limiter = TokenBucket(
            rate=config.pow_requests_per_s, burst=config.pow_burst, clock=clock
        )
        self.faucet = (
            NodeFaucet(self.tangle, faucet_key, clock=clock, work=self.work, policy=config.faucet)
            if faucet_key is not None
            else None
        )

    def _tangle(self, store: TangleStore, genesis: Genesis) -> Tangle:
        """The ledger on ``store``, held to this node's configuration rather than the
        ledger's defaults: its rules and signature verifier, its limits on messages waiting
        for parents, and its event hub, so subscribers hear of what it admits."""
        return Tangle(
            store=store,
            genesis=genesis,
            validator=MessageValidator(self._rules(genesis), self._verifier),
            clock=self.clock,
            held=self._held_policy(),
            events=self.events,
        )

    def _rules(self, genesis: Genesis) -> ValidationRules:
        return ValidationRules(
            network_id=genesis.network_id,
            work=self.work,
            coordinator_keys=frozenset(genesis.coordinator_keys),
            milestone_threshold=genesis.milestone_threshold,
            max_future_ms=self.config.max_future_ms,
        )

    def _held_policy(self) -> HeldPolicy:
        return HeldPolicy(
            limit=self.config.held_limit,
            per_client=self.config.held_per_client,
            per_peer=self.config.held_per_peer,
            ttl_ms=round(self.config.held_ttl_s * 1000),
        )

    def submit(self, raw: bytes, *, do_work: bool = False, client: str = "local") -> IngestResult:
        """Admit a message; with ``do_work`` the node does its proof of work (rate limited).

        ``client`` is the submitting host ("local" for the node's own callers): a held
        message counts against that host's share of the held set."""
        if do_work:
            if is_carried_raw(raw):  # refused anyway: not worth the work, nor the rate
                raise CarriedAlone(message_id(raw))
            self._pow_limiter.take(client)
            raw = attach_work(raw, self.work).raw
        return self.tangle.submit(raw, LOCAL if client == "local" else Submitter.client(client))

    def grant_faucet(self, address: Address, *, client: str = "local") -> FaucetGrant:
        """Pay the faucet's grant to ``address``; :class:`FaucetUnavailable` without a faucet."""
        if self.faucet is None:
            raise FaucetUnavailable()
        return self.faucet.grant(address, client=client)

    async def run_coordinator(self) -> None:
        """Issue a milestone every interval until cancelled."""
        if self.coordinator is None:
            return
        coordinator = self.coordinator
        interval = self.config.milestone_interval_s
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            issuing = asyncio.ensure_future(asyncio.to_thread(coordinator.issue_milestone))
            try:
                await asyncio.shield(issuing)
            except asyncio.CancelledError:
                await issuing  # a milestone half-written when the store closes would be lost
                raise
            except Exception:  # a failed milestone must not stop confirmation for good
                log.exception("milestone issuance failed")
            await asyncio.sleep(max(0.0, interval - (loop.time() - started)))

    def close(self) -> None:
        self._verifier.close()
        self.store.close()
