"""Hold, release and settle payloads: canonical round trips; every malformed shape refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaza.encoding import Writer
from plaza.ledger.codec import decode_message, encode_payload
from plaza.ledger.errors import InvalidHold, MalformedMessage
from plaza.ledger.model import (
    MAX_AMOUNT,
    MAX_HOLD_MS,
    HoldPayload,
    Payload,
    PayloadKind,
    ReleasePayload,
    SettlePayload,
)

ISSUED_AT_MS = 1_767_225_600_000
ID = bytes([7]) * 32


def raw_with(kind: int, body: bytes, *, issued_at_ms: int = ISSUED_AT_MS) -> bytes:
    """A message of one parent around ``body``, signature and nonce zero (decoding checks
    neither)."""
    writer = Writer().u8(1).u32(7).u8(1).raw(bytes([1]) * 32)
    writer.raw(bytes(32)).u64(issued_at_ms).u8(kind).bytes32(body)
    return writer.getvalue() + bytes(64) + bytes(8)


def round_trip(payload: Payload, issued_at_ms: int = ISSUED_AT_MS) -> Payload:
    return decode_message(
        raw_with(payload.KIND, encode_payload(payload), issued_at_ms=issued_at_ms)
    ).payload


keys = st.one_of(st.just(b""), st.binary(min_size=32, max_size=32))
tags = st.binary(max_size=64)


@given(
    payee=st.binary(min_size=32, max_size=32),
    amount=st.integers(1, MAX_AMOUNT),
    lifetime=st.integers(1, MAX_HOLD_MS),
    hashlock=keys,
    arbiter=keys,
    tag=tags,
    data=st.binary(max_size=200),
)
def test_hold_round_trips(
    payee: bytes,
    amount: int,
    lifetime: int,
    hashlock: bytes,
    arbiter: bytes,
    tag: bytes,
    data: bytes,
) -> None:
    payload = HoldPayload(payee, amount, ISSUED_AT_MS + lifetime, hashlock, arbiter, tag, data)
    assert round_trip(payload) == payload


@given(
    hold_id=st.binary(min_size=32, max_size=32),
    secret=st.binary(min_size=32, max_size=32),
    tag=tags,
)
def test_release_round_trips(hold_id: bytes, secret: bytes, tag: bytes) -> None:
    payload = ReleasePayload(hold_id, secret, tag)
    assert round_trip(payload) == payload


@given(to_payee=st.integers(0, MAX_AMOUNT), tag=tags, data=st.binary(max_size=200))
def test_settle_round_trips(to_payee: int, tag: bytes, data: bytes) -> None:
    payload = SettlePayload(ID, to_payee, tag, data)
    assert round_trip(payload) == payload


def hold_body(
    *,
    amount: int = 5,
    deadline: int = ISSUED_AT_MS + 1,
    hashlock: bytes = b"",
    arbiter: bytes = b"",
    tag: bytes = b"",
) -> bytes:
    writer = Writer().raw(ID).u64(amount).u64(deadline)
    return writer.bytes8(hashlock).bytes8(arbiter).bytes8(tag).getvalue()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (hold_body(amount=0), InvalidHold),
        (hold_body(amount=MAX_AMOUNT + 1), InvalidHold),
        (hold_body(deadline=ISSUED_AT_MS), InvalidHold),  # already past
        (hold_body(deadline=ISSUED_AT_MS + MAX_HOLD_MS + 1), InvalidHold),  # too long
        (hold_body(hashlock=bytes(31)), InvalidHold),
        (hold_body(arbiter=bytes(33)), InvalidHold),
        (hold_body(tag=bytes(65)), MalformedMessage),
        (hold_body()[:-1], MalformedMessage),  # the tag length is missing
        (ID + (5).to_bytes(8, "little"), MalformedMessage),  # truncated after the amount
    ],
)
def test_malformed_holds_are_refused(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        decode_message(raw_with(PayloadKind.HOLD, body))


@pytest.mark.parametrize(
    "body",
    [
        ID + bytes(31) + b"\x00",  # a 31-byte secret, then the tag length
        ID + bytes(32),  # no tag length
        ID + bytes(32) + b"\x00" + b"x",  # a release carries no data: trailing byte
        ID[:31],
    ],
)
def test_malformed_releases_are_refused(body: bytes) -> None:
    with pytest.raises(MalformedMessage):
        decode_message(raw_with(PayloadKind.RELEASE, body))


def test_malformed_settlements_are_refused() -> None:
    too_much = Writer().raw(ID).u64(MAX_AMOUNT + 1).u8(0).getvalue()
    with pytest.raises(InvalidHold):
        decode_message(raw_with(PayloadKind.SETTLE, too_much))
    for truncated in (ID + bytes(7), ID + bytes(8)):
        with pytest.raises(MalformedMessage):
            decode_message(raw_with(PayloadKind.SETTLE, truncated))


def test_the_payload_layouts_are_the_documented_ones() -> None:
    hold = HoldPayload(ID, 5, ISSUED_AT_MS + 1, bytes([2]) * 32, b"", b"t", b"d")
    expected = ID + (5).to_bytes(8, "little") + (ISSUED_AT_MS + 1).to_bytes(8, "little")
    assert encode_payload(hold) == expected + b"\x20" + bytes([2]) * 32 + b"\x00" + b"\x01t" + b"d"
    assert encode_payload(ReleasePayload(ID, bytes(32))) == ID + bytes(32) + b"\x00"
    assert (
        encode_payload(SettlePayload(ID, 3, b"", b"why"))
        == ID + (3).to_bytes(8, "little") + b"\x00why"
    )
