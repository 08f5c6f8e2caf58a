"""The canonical message codec: roundtrips, canonicity, ids, and refusal of non-canonical bytes."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plaza.encoding import Writer
from plaza.ledger.codec import (
    decode_message,
    encode_essence,
    encode_payload,
    message_id,
)
from plaza.ledger.errors import (
    DuplicateParents,
    InvalidParentCount,
    InvalidTransfer,
    MalformedMessage,
    MessageRejected,
    PayloadTooLarge,
    UnknownPayloadKind,
    UnsupportedVersion,
)
from plaza.ledger.model import (
    MAX_OUTPUTS,
    MAX_PARENTS,
    MAX_PAYLOAD_SIZE,
    MAX_TAG_SIZE,
    NONCE_SIZE,
    SIGNATURE_SIZE,
    CoSignature,
    DataPayload,
    Message,
    MilestonePayload,
    Output,
    Payload,
    PayloadKind,
    TransferPayload,
)

ids = st.binary(min_size=32, max_size=32)
u32 = st.integers(0, 2**32 - 1)
u64 = st.integers(0, 2**64 - 1)
tags = st.binary(max_size=MAX_TAG_SIZE)
small_data = st.binary(max_size=200)

data_payloads = st.builds(DataPayload, tag=tags, data=small_data)


@st.composite
def transfer_payloads(draw: st.DrawFn) -> TransferPayload:
    addresses = draw(st.lists(ids, min_size=1, max_size=MAX_OUTPUTS, unique=True))
    budget = 2**63 - 1
    outputs = []
    for address in sorted(addresses):
        amount = draw(st.integers(1, max(1, budget // MAX_OUTPUTS)))
        outputs.append(Output(address, amount))
    return TransferPayload(tuple(outputs), draw(tags), draw(small_data))


cosignatures = st.builds(CoSignature, public_key=ids, signature=st.binary(min_size=64, max_size=64))
milestone_payloads = st.builds(
    MilestonePayload,
    index=u32,
    previous=ids,
    inclusion_root=ids,
    state_root=ids,
    signatures=st.lists(cosignatures, max_size=16).map(tuple),
)
payloads = st.one_of(data_payloads, transfer_payloads(), milestone_payloads)
parent_sets = st.lists(ids, min_size=1, max_size=MAX_PARENTS, unique=True)


def build_raw(
    *,
    network_id: int,
    parents: list[bytes],
    issuer: bytes,
    issued_at_ms: int,
    payload: Payload,
    signature: bytes,
    nonce: int,
) -> bytes:
    essence = encode_essence(
        network_id=network_id,
        parents=parents,
        issuer=issuer,
        issued_at_ms=issued_at_ms,
        payload=payload,
    )
    return essence + signature + nonce.to_bytes(NONCE_SIZE, "little")


def reencode(message: Message) -> bytes:
    essence = encode_essence(
        network_id=message.network_id,
        parents=message.parents,
        issuer=message.issuer,
        issued_at_ms=message.issued_at_ms,
        payload=message.payload,
        version=message.version,
    )
    return essence + message.signature + message.nonce.to_bytes(NONCE_SIZE, "little")


@settings(max_examples=150, deadline=None)
@given(
    network_id=u32,
    parents=parent_sets,
    issuer=ids,
    issued_at_ms=u64,
    payload=payloads,
    signature=st.binary(min_size=SIGNATURE_SIZE, max_size=SIGNATURE_SIZE),
    nonce=u64,
)
def test_roundtrip_of_every_payload_kind(
    network_id: int,
    parents: list[bytes],
    issuer: bytes,
    issued_at_ms: int,
    payload: Payload,
    signature: bytes,
    nonce: int,
) -> None:
    raw = build_raw(
        network_id=network_id,
        parents=parents,
        issuer=issuer,
        issued_at_ms=issued_at_ms,
        payload=payload,
        signature=signature,
        nonce=nonce,
    )
    message = decode_message(raw)
    assert message.version == 1
    assert message.network_id == network_id
    assert message.parents == tuple(sorted(parents))
    assert message.issuer == issuer
    assert message.issued_at_ms == issued_at_ms
    assert message.payload == payload
    assert message.payload.KIND == payload.KIND
    assert message.signature == signature
    assert message.nonce == nonce
    # Canonical: the bytes decode to the same bytes, and re-encoding gives them back.
    assert message.raw == raw
    assert decode_message(message.raw).raw == raw
    assert reencode(message) == raw
    # The id is BLAKE2b-256 of the whole message; the essence is all but signature and nonce.
    assert message.id == hashlib.blake2b(raw, digest_size=32).digest() == message_id(raw)
    assert message.essence == raw[: -(SIGNATURE_SIZE + NONCE_SIZE)]


@settings(max_examples=50, deadline=None)
@given(parents=parent_sets, payload=payloads)
def test_parent_order_given_does_not_matter(parents: list[bytes], payload: Payload) -> None:
    def essence(ordered: list[bytes]) -> bytes:
        return encode_essence(
            network_id=1, parents=ordered, issuer=bytes(32), issued_at_ms=5, payload=payload
        )

    assert essence(parents) == essence(list(reversed(parents))) == essence(sorted(parents))


@settings(max_examples=100, deadline=None)
@given(
    payload=payloads,
    position=st.integers(0, 10_000),
    value=st.integers(0, 255),
    cut=st.booleans(),
)
def test_corrupted_bytes_are_refused_only_with_message_rejected(
    payload: Payload, position: int, value: int, cut: bool
) -> None:
    raw = bytearray(
        build_raw(
            network_id=7,
            parents=[bytes([1]) * 32, bytes([2]) * 32],
            issuer=bytes(32),
            issued_at_ms=1,
            payload=payload,
            signature=bytes(64),
            nonce=0,
        )
    )
    position %= len(raw)
    if cut:
        del raw[position:]
    else:
        raw[position] = value
    try:
        message = decode_message(bytes(raw))
    except MessageRejected:
        return
    assert reencode(message) == bytes(raw)


# -- refusals at the codec level ------------------------------------------------------


def _sample_raw(payload: Payload | None = None) -> bytes:
    return build_raw(
        network_id=7,
        parents=[bytes([1]) * 32],
        issuer=bytes(32),
        issued_at_ms=1,
        payload=payload or DataPayload(b"t", b"d"),
        signature=bytes(64),
        nonce=0,
    )


def _raw_by_hand(
    *, version: int = 1, parents: list[bytes], kind: int = 1, body: bytes = b"\x00"
) -> bytes:
    writer = Writer().u8(version).u32(7).u8(len(parents))
    for parent in parents:
        writer.raw(parent)
    writer.raw(bytes(32)).u64(1).u8(kind).bytes32(body)
    return writer.getvalue() + bytes(64) + bytes(8)


def test_truncated_and_trailing_bytes_are_malformed() -> None:
    raw = _sample_raw()
    decode_message(raw)
    for bad in (raw[:-1], raw[:10], b"", raw + b"\x00"):
        with pytest.raises(MalformedMessage):
            decode_message(bad)


def test_unsorted_parents_are_malformed() -> None:
    raw = _raw_by_hand(parents=[bytes([2]) * 32, bytes([1]) * 32])
    with pytest.raises(MalformedMessage, match="ascending"):
        decode_message(raw)


def test_parent_counts_and_duplicates() -> None:
    with pytest.raises(InvalidParentCount):
        decode_message(_raw_by_hand(parents=[]))
    with pytest.raises(InvalidParentCount):
        decode_message(_raw_by_hand(parents=[bytes([i]) * 32 for i in range(MAX_PARENTS + 1)]))
    decode_message(_raw_by_hand(parents=[bytes([i]) * 32 for i in range(MAX_PARENTS)]))
    with pytest.raises(DuplicateParents):
        decode_message(_raw_by_hand(parents=[bytes([1]) * 32, bytes([1]) * 32]))


def test_version_and_kind() -> None:
    with pytest.raises(UnsupportedVersion):
        decode_message(_raw_by_hand(version=2, parents=[bytes(32)]))
    with pytest.raises(UnsupportedVersion):
        decode_message(_raw_by_hand(version=0, parents=[bytes(32)]))
    for kind in (0, 9, 255):  # 4 to 7 are the hold kinds, 8 the carrier
        with pytest.raises(UnknownPayloadKind):
            decode_message(_raw_by_hand(parents=[bytes(32)], kind=kind))


def test_payload_size_limit() -> None:
    # A data payload of an empty tag is its length byte plus the data.
    fits = _sample_raw(DataPayload(b"", bytes(MAX_PAYLOAD_SIZE - 1)))
    assert decode_message(fits).payload == DataPayload(b"", bytes(MAX_PAYLOAD_SIZE - 1))
    with pytest.raises(PayloadTooLarge):
        decode_message(_sample_raw(DataPayload(b"", bytes(MAX_PAYLOAD_SIZE))))


def test_tag_limit() -> None:
    decode_message(_sample_raw(DataPayload(bytes(MAX_TAG_SIZE), b"")))
    with pytest.raises(MalformedMessage):
        decode_message(_sample_raw(DataPayload(bytes(MAX_TAG_SIZE + 1), b"")))


@pytest.mark.parametrize(
    "outputs",
    [
        (),
        (Output(bytes(32), 0),),
        (Output(bytes([1]) * 32, 5), Output(bytes([1]) * 32, 5)),
        (Output(bytes([2]) * 32, 5), Output(bytes([1]) * 32, 5)),
        (Output(bytes([1]) * 32, 2**63 - 1), Output(bytes([2]) * 32, 1)),
        tuple(Output(i.to_bytes(32, "big"), 1) for i in range(MAX_OUTPUTS + 1)),
    ],
    ids=["none", "zero", "duplicate", "unsorted", "overflow", "too-many"],
)
def test_invalid_transfer_outputs(outputs: tuple[Output, ...]) -> None:
    with pytest.raises(InvalidTransfer):
        decode_message(_sample_raw(TransferPayload(outputs)))


def test_trailing_bytes_inside_a_payload_are_malformed() -> None:
    body = encode_payload(MilestonePayload(1, bytes(32), bytes(32), bytes(32))) + b"\x00"
    raw = _raw_by_hand(parents=[bytes(32)], kind=PayloadKind.MILESTONE, body=body)
    with pytest.raises(MalformedMessage):
        decode_message(raw)


@pytest.mark.parametrize(
    "payload",
    [
        DataPayload(b"tag", b"data"),
        TransferPayload((Output(bytes([3]) * 32, 9),), b"t", b"d"),
        MilestonePayload(3, bytes(32), bytes(32), bytes(32), (CoSignature(bytes(32), bytes(64)),)),
    ],
    ids=["data", "transfer", "milestone"],
)
def test_every_strict_prefix_and_extension_is_malformed(payload: Payload) -> None:
    raw = _sample_raw(payload)
    assert decode_message(raw).payload == payload
    for end in range(len(raw)):
        with pytest.raises(MalformedMessage):
            decode_message(raw[:end])
    for extra in (b"\x00", b"\xff" * 9):
        with pytest.raises(MalformedMessage):
            decode_message(raw + extra)
