"""Every rejection class, through ``Tangle.submit``: the specific error, and nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from ledger_support import (
    COORDINATOR,
    address_of,
    advance,
    assert_absent,
    build_multisig_tangle,
    milestone_on,
    sign_essence,
    signed_raw,
    snapshot,
    with_nonce,
)

from plaza.encoding import Writer
from plaza.ledger.admission import IngestStatus
from plaza.ledger.codec import assemble, message_id
from plaza.ledger.compose import compose
from plaza.ledger.errors import (
    DuplicateParents,
    HeldLimitReached,
    InsufficientProofOfWork,
    InvalidMilestone,
    InvalidParentCount,
    InvalidSignature,
    InvalidTransfer,
    LedgerError,
    MalformedMessage,
    MessageRejected,
    PayloadTooLarge,
    TimestampBeforeParent,
    TimestampInFuture,
    UnknownPayloadKind,
    UnsupportedVersion,
    WrongNetwork,
)
from plaza.ledger.model import (
    MAX_PARENTS,
    MAX_PAYLOAD_SIZE,
    ConfirmationState,
    DataPayload,
    Output,
    Payload,
    TransferPayload,
)
from plaza.ledger.pow import Blake2bWork, pow_base, pow_score
from plaza.ledger.service import Tangle
from plaza.testing import TangleKit, build_tangle
from plaza.testing.builders import key_from_number

ALICE = key_from_number(10)


@pytest.fixture
def kit() -> TangleKit:
    kit = build_tangle()
    # Some history, so "nothing changed" is checked against a non-trivial state.
    kit.submit(kit.transfer(kit.faucet, {address_of(ALICE): 500}))
    kit.milestone()
    kit.submit(kit.data(b"pending", b"x"))
    advance(kit, seconds=1)
    return kit


@contextmanager
def unchanged(tangle: Tangle, raw: bytes) -> Iterator[None]:
    before = snapshot(tangle)
    balances = tangle.balances()
    yield
    assert snapshot(tangle) == before
    assert tangle.balances() == balances
    assert_absent(tangle, raw)


def refuse(tangle: Tangle, raw: bytes, error: type[LedgerError], match: str | None = None) -> None:
    """Submit must raise exactly ``error``, and the same bytes in a batch are REJECTED with it."""
    with unchanged(tangle, raw):
        with pytest.raises(error, match=match) as info:
            tangle.submit(raw)
        assert type(info.value) is error
        [result] = tangle.ingest([raw])
        assert result.status is IngestStatus.REJECTED
        assert type(result.error) is error


def data_raw(
    kit: TangleKit,
    *,
    network_id: int | None = None,
    parents: list[bytes] | None = None,
    payload: Payload | None = None,
    issued_at_ms: int | None = None,
    version: int = 1,
) -> bytes:
    """A data message signed by the faucet, valid unless a field is overridden."""
    return signed_raw(
        kit.faucet,
        network_id=kit.network_id if network_id is None else network_id,
        parents=kit.tangle.select_parents() if parents is None else parents,
        payload=payload or DataPayload(b"t", b"hello"),
        issued_at_ms=kit.clock.now_ms() if issued_at_ms is None else issued_at_ms,
        version=version,
    )


def hand_raw(kit: TangleKit, parents: list[bytes], *, kind: int = 1) -> bytes:
    """Signed bytes written field by field, so parents keep the order and count given."""
    writer = Writer().u8(1).u32(kit.network_id).u8(len(parents))
    for parent in parents:
        writer.raw(parent)
    writer.raw(kit.faucet.public_key.raw).u64(kit.clock.now_ms()).u8(kind).bytes32(b"\x01t")
    return sign_essence(kit.faucet, writer.getvalue())


def test_valid_control_message_is_stored(kit: TangleKit) -> None:
    raw = data_raw(kit)
    assert kit.tangle.submit(raw).status is IngestStatus.STORED


def test_truncated_bytes(kit: TangleKit) -> None:
    raw = data_raw(kit)
    refuse(kit.tangle, raw[:-1], MalformedMessage)
    refuse(kit.tangle, raw[:40], MalformedMessage)


def test_trailing_bytes(kit: TangleKit) -> None:
    refuse(kit.tangle, data_raw(kit) + b"\x00", MalformedMessage)


def test_unsorted_parents(kit: TangleKit) -> None:
    kit.submit(kit.data(b"second-tip"))
    parents = sorted({kit.tangle.genesis.id, kit.tangle.latest_milestone.message_id})
    assert len(parents) == 2
    assert kit.tangle.submit(hand_raw(kit, parents)).status is IngestStatus.STORED
    refuse(kit.tangle, hand_raw(kit, parents[::-1]), MalformedMessage, "ascending")


def test_wrong_network(kit: TangleKit) -> None:
    refuse(kit.tangle, data_raw(kit, network_id=kit.network_id ^ 1), WrongNetwork)


@pytest.mark.parametrize("version", [0, 2, 255])
def test_unsupported_version(kit: TangleKit, version: int) -> None:
    refuse(kit.tangle, data_raw(kit, version=version), UnsupportedVersion)


@pytest.mark.parametrize("kind", [0, 9, 200])
def test_unknown_payload_kind(kit: TangleKit, kind: int) -> None:
    refuse(kit.tangle, hand_raw(kit, [kit.tangle.genesis.id], kind=kind), UnknownPayloadKind)


def test_flipped_signature_bit(kit: TangleKit) -> None:
    good = kit.data(b"t", b"hello")
    position = len(good.essence) + 10  # inside the signature
    bad = bytearray(good.raw)
    bad[position] ^= 0x01
    assert assemble(good.essence, bytes(bad[len(good.essence) : -8]), 0).id != good.id
    refuse(kit.tangle, bytes(bad), InvalidSignature)


def test_flipped_essence_bit(kit: TangleKit) -> None:
    good = kit.data(b"t", b"hello")
    bad = bytearray(good.raw)
    bad[len(good.essence) - 1] ^= 0x01  # the last data byte: still decodes, no longer signed
    tampered = assemble(bytes(bad[: len(good.essence)]), good.signature, good.nonce)
    assert tampered.id != good.id
    assert tampered.payload == DataPayload(b"t", b"helln")
    refuse(kit.tangle, bytes(bad), InvalidSignature)
    assert kit.tangle.submit(good.raw).status is IngestStatus.STORED


def test_insufficient_proof_of_work() -> None:
    kit = build_tangle(work=Blake2bWork(8))
    good = kit.data(b"t", b"work")
    base = pow_base(good.raw[:-8])
    assert pow_score(base, good.nonce) >= 8
    bad_nonce = next(n for n in range(10_000) if pow_score(base, n) < 8)
    refuse(kit.tangle, with_nonce(good.raw, bad_nonce), InsufficientProofOfWork)
    assert kit.tangle.submit(good.raw).status is IngestStatus.STORED
    kit.milestone()  # the coordinator does the same work
    assert kit.tangle.metadata(good.id).state is ConfirmationState.CONFIRMED


def test_zero_and_too_many_parents(kit: TangleKit) -> None:
    refuse(kit.tangle, hand_raw(kit, []), InvalidParentCount)
    nine = sorted(i.to_bytes(32, "big") for i in range(MAX_PARENTS + 1))
    refuse(kit.tangle, hand_raw(kit, nine), InvalidParentCount)


def test_duplicate_parents(kit: TangleKit) -> None:
    genesis = kit.tangle.genesis.id
    refuse(kit.tangle, data_raw(kit, parents=[genesis, genesis]), DuplicateParents)
    refuse(kit.tangle, hand_raw(kit, [genesis, genesis]), DuplicateParents)


def test_payload_too_large(kit: TangleKit) -> None:
    big = DataPayload(b"", bytes(MAX_PAYLOAD_SIZE))
    refuse(kit.tangle, data_raw(kit, payload=big), PayloadTooLarge)
    fits = DataPayload(b"", bytes(MAX_PAYLOAD_SIZE - 1))
    assert kit.tangle.submit(data_raw(kit, payload=fits)).status is IngestStatus.STORED


def test_timestamp_in_future(kit: TangleKit) -> None:
    now = kit.clock.now_ms()
    limit = kit.tangle.validator.rules.max_future_ms
    refuse(kit.tangle, data_raw(kit, issued_at_ms=now + limit + 1), TimestampInFuture)
    assert kit.tangle.submit(data_raw(kit, issued_at_ms=now + limit)).status is (
        IngestStatus.STORED
    )


def test_timestamp_before_parent(kit: TangleKit) -> None:
    now = kit.clock.now_ms()
    parent = data_raw(kit, issued_at_ms=now + 1000, payload=DataPayload(b"p", b""))
    kit.tangle.submit(parent)
    parent_id = message_id(parent)
    child = data_raw(kit, parents=[parent_id], issued_at_ms=now + 999)
    refuse(kit.tangle, child, TimestampBeforeParent)
    same_time = data_raw(kit, parents=[parent_id], issued_at_ms=now + 1000)
    assert kit.tangle.submit(same_time).status is IngestStatus.STORED


@pytest.mark.parametrize(
    "outputs",
    [
        (Output(address_of(key_from_number(20)), 0),),
        (Output(address_of(key_from_number(20)), 5), Output(address_of(key_from_number(20)), 5)),
        (),
    ],
    ids=["zero-amount", "duplicate-outputs", "no-outputs"],
)
def test_invalid_transfer(kit: TangleKit, outputs: tuple[Output, ...]) -> None:
    raw = signed_raw(
        ALICE,
        network_id=kit.network_id,
        parents=kit.tangle.select_parents(),
        payload=TransferPayload(outputs),
        issued_at_ms=kit.clock.now_ms(),
    )
    refuse(kit.tangle, raw, InvalidTransfer)


def test_milestone_issued_by_a_non_coordinator_key(kit: TangleKit) -> None:
    stranger = key_from_number(99)
    parents = kit.tangle.select_parents()
    forged = milestone_on(kit, parents, signers=[stranger])
    refuse(kit.tangle, forged.raw, InvalidMilestone, "issuer")
    # The coordinator's signature does not help a message a stranger issued.
    cosigned = milestone_on(kit, parents, signers=[COORDINATOR], issuer=stranger)
    refuse(kit.tangle, cosigned.raw, InvalidMilestone, "issuer")
    # Issued by the coordinator key, but co-signed by the stranger only.
    signed_by_stranger = milestone_on(kit, parents, signers=[stranger], issuer=COORDINATOR)
    refuse(kit.tangle, signed_by_stranger.raw, InvalidMilestone, "0 valid")
    assert kit.tangle.latest_milestone.index == 1


def test_milestone_without_signatures(kit: TangleKit) -> None:
    unsigned = milestone_on(kit, kit.tangle.select_parents(), signers=[], issuer=COORDINATOR)
    refuse(kit.tangle, unsigned.raw, InvalidMilestone)


def test_milestone_below_the_signature_threshold() -> None:
    first, second = key_from_number(2), key_from_number(3)
    kit = build_multisig_tangle([first, second], threshold=2)
    parents = kit.tangle.select_parents()
    refuse(kit.tangle, milestone_on(kit, parents, signers=[first]).raw, InvalidMilestone, "1 valid")
    twice = milestone_on(kit, parents, signers=[first, first])
    refuse(kit.tangle, twice.raw, InvalidMilestone, "1 valid")
    outsider = milestone_on(kit, parents, signers=[first, key_from_number(4)])
    refuse(kit.tangle, outsider.raw, InvalidMilestone, "1 valid")
    both = milestone_on(kit, parents, signers=[first, second])
    assert kit.tangle.submit(both.raw).status is IngestStatus.STORED
    assert kit.tangle.latest_milestone.message_id == both.id
    kit.submit(kit.data())
    kit.milestone()  # the coordinator signs with both keys
    assert kit.tangle.latest_milestone.index == 2


def test_held_limit_reached() -> None:
    kit = build_tangle(held_limit=2)
    orphans = [
        kit.compose(kit.faucet, DataPayload(b"orphan", bytes([i])), parents=[bytes([i + 1]) * 32])
        for i in range(3)
    ]
    assert kit.tangle.submit(orphans[0].raw).status is IngestStatus.HELD
    assert kit.tangle.submit(orphans[1].raw).status is IngestStatus.HELD
    refuse(kit.tangle, orphans[2].raw, HeldLimitReached)
    assert not issubclass(HeldLimitReached, MessageRejected)  # a retry may succeed later
    assert kit.tangle.statistics()["held"] == 2


def test_held_limit_within_one_batch() -> None:
    kit = build_tangle(held_limit=2)
    orphans = [
        kit.compose(kit.faucet, DataPayload(b"orphan", bytes([i])), parents=[bytes([i + 1]) * 32])
        for i in range(3)
    ]
    results = kit.tangle.ingest([o.raw for o in orphans])
    assert [r.status for r in results] == [IngestStatus.HELD] * 2 + [IngestStatus.REJECTED]
    assert isinstance(results[2].error, HeldLimitReached)
    assert_absent(kit.tangle, orphans[2].raw)


def test_known_message_changes_nothing(kit: TangleKit) -> None:
    message = kit.data(b"once")
    assert kit.tangle.submit(message.raw).status is IngestStatus.STORED
    before = snapshot(kit.tangle)
    assert kit.tangle.submit(message.raw).status is IngestStatus.KNOWN
    assert [r.status for r in kit.tangle.ingest([message.raw, message.raw])] == [
        IngestStatus.KNOWN,
        IngestStatus.KNOWN,
    ]
    assert snapshot(kit.tangle) == before


def test_a_refused_message_repeated_in_a_batch_is_not_reported_known(kit: TangleKit) -> None:
    """Regression: the second copy of a refused message used to come back ``KNOWN``."""
    now = kit.clock.now_ms()
    parent = data_raw(kit, issued_at_ms=now + 1000, payload=DataPayload(b"p", b""))
    kit.tangle.submit(parent)
    parent_id = message_id(parent)
    child = data_raw(kit, parents=[parent_id], issued_at_ms=now)
    with unchanged(kit.tangle, child):
        results = kit.tangle.ingest([child, child])
    assert [r.status for r in results] == [IngestStatus.REJECTED] * 2
    assert all(isinstance(r.error, TimestampBeforeParent) for r in results)


def test_bad_message_does_not_spoil_its_batch(kit: TangleKit) -> None:
    good = kit.data(b"good")
    bad = with_nonce(good.raw, 1)[:-1]
    results = kit.tangle.ingest([bad, good.raw])
    assert [r.status for r in results] == [IngestStatus.REJECTED, IngestStatus.STORED]
    assert isinstance(results[0].error, MalformedMessage)


def test_coordinator_key_may_issue_plain_messages(kit: TangleKit) -> None:
    message = compose(
        COORDINATOR,
        network_id=kit.network_id,
        parents=kit.tangle.select_parents(),
        payload=DataPayload(b"coordinator", b""),
        issued_at_ms=kit.clock.now_ms(),
        work=kit.work,
    )
    assert kit.tangle.submit(message.raw).status is IngestStatus.STORED
