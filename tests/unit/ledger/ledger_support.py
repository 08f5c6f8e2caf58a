"""Helpers shared by the ledger unit tests (imported by name, like ``tangle_backends``)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import strategies as st

from plaza.crypto import Address, SigningKey
from plaza.ledger.admission import IngestStatus
from plaza.ledger.codec import SIGNING_DOMAIN, encode_essence, message_id, milestone_signing_bytes
from plaza.ledger.compose import compose
from plaza.ledger.coordinator import Coordinator
from plaza.ledger.errors import NotFound
from plaza.ledger.genesis import Genesis
from plaza.ledger.model import (
    NONCE_SIZE,
    CoSignature,
    DataPayload,
    Message,
    MilestonePayload,
    Output,
    Payload,
    TransferPayload,
)
from plaza.ledger.pow import NoWork
from plaza.ledger.service import Tangle
from plaza.ledger.tips import TipPool
from plaza.ledger.validation import MessageValidator, ValidationRules
from plaza.storage import MemoryTangleStore
from plaza.testing import FakeClock, TangleKit, build_tangle
from plaza.testing.builders import key_from_number

COORDINATOR = key_from_number(2)
START_MS = FakeClock().now_ms()
SUPPLY = 1_000  # small, so generated transfers often overdraw
KEYS = [key_from_number(n) for n in (10, 11, 12)]


def address_of(key: SigningKey) -> bytes:
    return Address.from_public_key(key.public_key.raw).raw


def advance(kit: TangleKit, *, ms: int = 0, seconds: float = 0) -> None:
    """Move a kit's fake clock forward."""
    clock = kit.clock
    assert isinstance(clock, FakeClock)
    clock.advance(ms=ms, seconds=seconds)


def advance_to(kit: TangleKit, now_ms: int) -> None:
    """Set a kit's fake clock to ``now_ms`` (another node's time, say)."""
    advance(kit, ms=now_ms - kit.clock.now_ms())


def signed_raw(
    signer: SigningKey,
    *,
    network_id: int,
    parents: Sequence[bytes],
    payload: Payload,
    issued_at_ms: int,
    version: int = 1,
    nonce: int = 0,
) -> bytes:
    """Bytes of a message signed by ``signer`` without decoding them (they may be invalid)."""
    essence = encode_essence(
        network_id=network_id,
        parents=parents,
        issuer=signer.public_key.raw,
        issued_at_ms=issued_at_ms,
        payload=payload,
        version=version,
    )
    return sign_essence(signer, essence, nonce)


def sign_essence(signer: SigningKey, essence: bytes, nonce: int = 0) -> bytes:
    return essence + signer.sign(SIGNING_DOMAIN + essence) + nonce.to_bytes(NONCE_SIZE, "little")


def with_nonce(raw: bytes, nonce: int) -> bytes:
    return raw[:-NONCE_SIZE] + nonce.to_bytes(NONCE_SIZE, "little")


@dataclass(frozen=True)
class Snapshot:
    statistics: dict[str, int]
    state_root: bytes
    state_bytes: bytes
    latest: Any


def snapshot(tangle: Tangle) -> Snapshot:
    return Snapshot(
        tangle.statistics(),
        tangle.state_root(),
        tangle.ledger_state_bytes(),
        tangle.latest_milestone,
    )


def is_stored(tangle: Tangle, ident: bytes) -> bool:
    try:
        tangle.get_message(ident)
    except NotFound:
        return False
    return True


def assert_absent(tangle: Tangle, raw_or_id: bytes) -> None:
    ident = raw_or_id if len(raw_or_id) == 32 else message_id(raw_or_id)
    assert not is_stored(tangle, ident)
    try:
        tangle.metadata(ident)
    except NotFound:
        return
    raise AssertionError("metadata of an absent message")


def milestone_on(
    kit: TangleKit,
    parents: Sequence[bytes],
    *,
    signers: Sequence[SigningKey] = (COORDINATOR,),
    issuer: SigningKey | None = None,
    inclusion_root: bytes | None = None,
    state_root: bytes | None = None,
    index: int | None = None,
    previous: bytes | None = None,
) -> Message:
    """A milestone on exactly ``parents``, like the coordinator's, with any field overridden."""
    tangle = kit.tangle
    ordered = sorted(parents)
    outcome, issued_at_ms = tangle.prepare_milestone(ordered, kit.clock.now_ms())
    payload = MilestonePayload(
        index=outcome.index if index is None else index,
        previous=tangle.latest_milestone.message_id if previous is None else previous,
        inclusion_root=outcome.inclusion_root if inclusion_root is None else inclusion_root,
        state_root=outcome.state_root if state_root is None else state_root,
    )
    signed = milestone_signing_bytes(kit.network_id, ordered, issued_at_ms, payload)
    signatures = tuple(
        sorted((CoSignature(s.public_key.raw, s.sign(signed)) for s in signers), key=_by_key)
    )
    return compose(
        issuer or signers[0],
        network_id=kit.network_id,
        parents=ordered,
        payload=replace(payload, signatures=signatures),
        issued_at_ms=issued_at_ms,
        work=kit.work,
    )


def _by_key(cosignature: CoSignature) -> bytes:
    return cosignature.public_key


def build_multisig_tangle(
    coordinator_keys: Sequence[SigningKey], threshold: int, *, supply: int = 1_000_000
) -> TangleKit:
    """Like :func:`plaza.testing.build_tangle`, with several coordinator keys and a threshold."""
    clock = FakeClock()
    faucet = key_from_number(1)
    genesis = Genesis.create(
        "plaza-test",
        timestamp_ms=clock.now_ms(),
        allocations={address_of(faucet): supply},
        coordinator_keys=tuple(k.public_key.raw for k in coordinator_keys),
        milestone_threshold=threshold,
    )
    rules = ValidationRules(
        network_id=genesis.network_id,
        work=NoWork(),
        coordinator_keys=frozenset(genesis.coordinator_keys),
        milestone_threshold=threshold,
    )
    tangle = Tangle(
        store=MemoryTangleStore(),
        genesis=genesis,
        validator=MessageValidator(rules),
        clock=clock,
        tips=TipPool(rng=random.Random(7)),
    )
    coordinator = Coordinator(tangle, list(coordinator_keys), clock=clock, work=NoWork())
    return TangleKit(tangle, coordinator, clock, faucet, NoWork())


# -- generated histories, for the property tests --------------------------------------


def check_conservation(tangle: Tangle) -> None:
    balances = tangle.balances()
    assert sum(balances.values()) == tangle.genesis.supply == SUPPLY
    assert all(amount > 0 for amount in balances.values())
    assert tangle.state_root() == tangle.latest_milestone.state_root


signer_index = st.integers(0, len(KEYS))  # 0 is the faucet
picks = st.lists(st.integers(0, 999), min_size=1, max_size=4)  # earlier messages, by index
operations = st.one_of(
    st.tuples(st.just("data"), signer_index),
    st.tuples(st.just("pay"), signer_index, signer_index, st.integers(1, 700)),
    st.tuples(st.just("split"), signer_index, signer_index, signer_index, st.integers(1, 400)),
    st.tuples(st.just("double"), signer_index, signer_index, signer_index),
    st.tuples(st.just("link"), signer_index, picks),
    st.tuples(st.just("link-pay"), signer_index, signer_index, st.integers(1, 700), picks),
    st.tuples(st.just("milestone")),
    st.tuples(st.just("partial-milestone"), picks),
    st.tuples(st.just("bad-milestone"), picks),
    st.tuples(st.just("tick"), st.integers(0, 3_000)),
)


@dataclass
class History:
    kit: TangleKit
    messages: list[Message] = field(default_factory=list)
    milestones_applied: int = 0

    @property
    def tangle(self) -> Tangle:
        return self.kit.tangle

    def key(self, index: int) -> SigningKey:
        return self.kit.faucet if index == 0 else KEYS[index - 1]

    def tag(self) -> bytes:
        return len(self.messages).to_bytes(4, "big")  # every message distinct

    def submit(self, message: Message) -> None:
        assert self.tangle.submit(message.raw).status is IngestStatus.STORED
        self.messages.append(message)

    def transfer(
        self, payer: int, payees: dict[bytes, int], parents: list[bytes] | None = None
    ) -> Message:
        outputs = tuple(Output(a, v) for a, v in sorted(payees.items()))
        payload = TransferPayload(outputs, self.tag())
        return self.kit.compose(self.key(payer), payload, parents=parents)

    def pick(self, picks: list[int]) -> list[bytes] | None:
        """Earlier messages (confirmed or not) as explicit parents; None means the tips."""
        if not self.messages:
            return None
        return sorted({self.messages[i % len(self.messages)].id for i in picks})

    def milestone(self) -> None:
        self.messages.append(self.kit.milestone())
        self.milestones_applied += 1
        assert self.tangle.latest_milestone.message_id == self.messages[-1].id
        check_conservation(self.tangle)  # (b)

    def run(self, operation: tuple[object, ...]) -> None:
        match operation:
            case ("data", int(signer)):
                self.submit(self.kit.compose(self.key(signer), DataPayload(self.tag(), b"d")))
            case ("pay", int(payer), int(payee), int(amount)):
                self.submit(self.transfer(payer, {address_of(self.key(payee)): amount}))
            case ("split", int(payer), int(first), int(second), int(amount)):
                payees = {address_of(self.key(first)): amount}
                payees[address_of(self.key(second))] = amount + 1
                self.submit(self.transfer(payer, payees))
            case ("double", int(payer), int(first), int(second)):
                full = max(1, self.tangle.balance(address_of(self.key(payer))))
                self.submit(self.transfer(payer, {address_of(self.key(first)): full}))
                self.submit(self.transfer(payer, {address_of(self.key(second)): full}))
            case ("link", int(signer), list(picks)):
                payload = DataPayload(self.tag(), b"l")
                parents = self.pick(picks)
                self.submit(self.kit.compose(self.key(signer), payload, parents=parents))
            case ("link-pay", int(payer), int(payee), int(amount), list(picks)):
                payees = {address_of(self.key(payee)): amount}
                self.submit(self.transfer(payer, payees, self.pick(picks)))
            case ("milestone",):
                self.milestone()
            case ("partial-milestone", list(picks)):
                parents = self.pick(picks) or [self.tangle.latest_milestone.message_id]
                self.submit(milestone_on(self.kit, parents))
                self.milestones_applied += 1
                assert self.tangle.latest_milestone.message_id == self.messages[-1].id
                check_conservation(self.tangle)
            case ("bad-milestone", list(picks)):
                # Well signed by the coordinator key, but with a state root nobody computes:
                # every node must refuse it, whenever it arrives.
                parents = self.pick(picks) or [self.tangle.latest_milestone.message_id]
                invalid = self.tangle.statistics()["invalid_milestones"]
                bogus = len(self.messages).to_bytes(32, "big")  # distinct for every bad milestone
                self.submit(milestone_on(self.kit, parents, state_root=bogus))
                assert self.tangle.statistics()["invalid_milestones"] == invalid + 1
            case ("tick", int(ms)):
                advance(self.kit, ms=ms)
            case _:
                raise AssertionError(operation)


def build_history(ops: Sequence[tuple[object, ...]]) -> History:
    history = History(build_tangle(supply=SUPPLY))
    check_conservation(history.tangle)
    for operation in ops:
        history.run(operation)
    history.milestone()
    return history
