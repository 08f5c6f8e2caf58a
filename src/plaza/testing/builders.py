"""Builders of ready-to-use ledgers for tests and benchmarks."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from plaza.crypto import Address, SigningKey
from plaza.ledger.compose import compose
from plaza.ledger.coordinator import Coordinator
from plaza.ledger.events import EventSink
from plaza.ledger.genesis import Genesis
from plaza.ledger.model import DataPayload, Message, Output, Payload, TransferPayload
from plaza.ledger.ports import Clock, TangleStore
from plaza.ledger.pow import NoWork, ProofOfWork
from plaza.ledger.service import Tangle
from plaza.ledger.solidifier import HeldPolicy
from plaza.ledger.tips import TipPool
from plaza.ledger.validation import MessageValidator, ValidationRules
from plaza.storage import MemoryTangleStore
from plaza.testing.clock import FakeClock

__all__ = ["TangleKit", "build_tangle", "key_from_number"]

DEFAULT_SUPPLY = 1_000_000_000


def key_from_number(number: int) -> SigningKey:
    """A deterministic key for tests: the same number always gives the same key."""
    return SigningKey.from_seed(number.to_bytes(32, "big"))


@dataclass
class TangleKit:
    """A tangle with its clock, coordinator and the faucet key holding the supply."""

    tangle: Tangle
    coordinator: Coordinator
    clock: Clock
    faucet: SigningKey
    work: ProofOfWork
    issued: list[Message] = field(default_factory=list)

    @property
    def network_id(self) -> int:
        return self.tangle.genesis.network_id

    def compose(
        self, signer: SigningKey, payload: Payload, *, parents: Sequence[bytes] | None = None
    ) -> Message:
        """A valid message (not yet submitted) on the tangle's current tips."""
        return compose(
            signer,
            network_id=self.network_id,
            parents=parents if parents is not None else self.tangle.select_parents(),
            payload=payload,
            issued_at_ms=self.clock.now_ms(),
            work=self.work,
        )

    def data(
        self, tag: bytes = b"test", data: bytes = b"", *, signer: SigningKey | None = None
    ) -> Message:
        return self.compose(signer or self.faucet, DataPayload(tag, data))

    def transfer(
        self, sender: SigningKey, payees: Mapping[bytes, int], *, tag: bytes = b""
    ) -> Message:
        outputs = tuple(Output(address, amount) for address, amount in sorted(payees.items()))
        return self.compose(sender, TransferPayload(outputs, tag))

    def submit(self, message: Message) -> Message:
        self.tangle.submit(message.raw)
        self.issued.append(message)
        return message

    def milestone(self) -> Message:
        return self.coordinator.issue_milestone()


def build_tangle(
    store: TangleStore | None = None,
    *,
    clock: Clock | None = None,
    work: ProofOfWork | None = None,
    supply: int = DEFAULT_SUPPLY,
    extra_allocations: Mapping[bytes, int] | None = None,
    seed: int = 7,
    held_limit: int = 1000,
    held: HeldPolicy | None = None,
    events: EventSink | None = None,
) -> TangleKit:
    """A single-node tangle whose faucet holds ``supply``, with deterministic keys and tips."""
    clock = clock or FakeClock()
    work = work or NoWork()
    faucet = key_from_number(1)
    coordinator_key = key_from_number(2)
    genesis = _genesis(clock, faucet, coordinator_key, supply, extra_allocations or {})
    rules = ValidationRules(
        network_id=genesis.network_id,
        work=work,
        coordinator_keys=frozenset(genesis.coordinator_keys),
    )
    tangle = Tangle(
        store=store or MemoryTangleStore(),
        genesis=genesis,
        validator=MessageValidator(rules),
        clock=clock,
        tips=TipPool(rng=random.Random(seed)),
        held=held or HeldPolicy(limit=held_limit),
        events=events,
    )
    coordinator = Coordinator(tangle, [coordinator_key], clock=clock, work=work)
    return TangleKit(tangle, coordinator, clock, faucet, work)


def _genesis(
    clock: Clock,
    faucet: SigningKey,
    coordinator_key: SigningKey,
    supply: int,
    extra_allocations: Mapping[bytes, int],
) -> Genesis:
    """The test network's first state: the faucet holds ``supply`` (tests pay from it), the
    extra allocations what a test wants held from the start, and one coordinator key signs
    the milestones."""
    allocations = {Address.from_public_key(faucet.public_key.raw).raw: supply}
    allocations.update(extra_allocations)
    return Genesis.create(
        "plaza-test",
        timestamp_ms=clock.now_ms(),
        allocations=allocations,
        coordinator_keys=(coordinator_key.public_key.raw,),
    )
