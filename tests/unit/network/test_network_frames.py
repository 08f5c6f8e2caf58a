"""Peering frames: every frame round-trips; anything else is a BadFrame, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaza.network import BadFrame, InvalidPeerAddress, PeerAddress
from plaza.network.frames import (
    MAX_FRAME_SIZE,
    Accept,
    Challenge,
    Frame,
    MessageFrame,
    Request,
    RequestMilestones,
    Response,
    Status,
    decode_frame,
    encode_frame,
)
from plaza.network.session import RecentIds

ids = st.binary(min_size=32, max_size=32)
frames: st.SearchStrategy[Frame] = st.one_of(
    st.builds(Challenge, st.integers(0, 2**32 - 1), ids, ids),
    st.builds(Response, ids, ids, st.binary(min_size=64, max_size=64)),
    st.builds(Accept, st.binary(min_size=64, max_size=64)),
    st.builds(MessageFrame, st.binary(max_size=2000)),
    st.builds(Request, st.lists(ids, max_size=64).map(tuple)),
    st.builds(RequestMilestones, st.integers(0, 2**32 - 1), st.integers(1, 32)),
    st.builds(Status, st.integers(0, 2**32 - 1), ids, st.lists(ids, max_size=8).map(tuple)),
)


@given(frames)
def test_frames_round_trip(frame: Frame) -> None:
    assert decode_frame(encode_frame(frame)) == frame


@given(st.binary(max_size=400))
def test_garbage_is_a_bad_frame_or_a_frame(data: bytes) -> None:
    try:
        frame = decode_frame(data)
    except BadFrame:
        return
    assert encode_frame(frame) == data  # whatever decodes is canonical


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "truncated"),
        (bytes([99]), "unknown frame type 99"),
        (bytes([17, 65]) + bytes(65 * 32), "65 ids"),
        (bytes([18, 0, 0, 0, 0, 0]), "asks for 0 milestones"),
        (bytes([18, 0, 0, 0, 0, 33]), "asks for 33 milestones"),
        (encode_frame(Accept(bytes(64))) + b"x", "trailing"),
        (bytes([16]) + bytes(MAX_FRAME_SIZE), "exceed"),
    ],
)
def test_bad_frames_say_what_is_wrong(data: bytes, reason: str) -> None:
    with pytest.raises(BadFrame, match=reason):
        decode_frame(data)


def test_peer_address_parses_and_prints() -> None:
    text = f"{'ab' * 32}@127.0.0.1:8651"
    address = PeerAddress.parse(text)
    assert (address.public_key, address.host, address.port) == (
        bytes([0xAB]) * 32,
        "127.0.0.1",
        8651,
    )
    assert str(address) == text
    assert address.url == "ws://127.0.0.1:8651/api/v1/peering"
    assert PeerAddress.parse(f"{'ab' * 32}@[::1]:9").url == "ws://[::1]:9/api/v1/peering"


@pytest.mark.parametrize(
    "text",
    [
        "127.0.0.1:8651",
        f"{'ab' * 32}@127.0.0.1",
        f"{'ab' * 31}@h:1",
        f"{'zz' * 32}@h:1",
        f"{'ab' * 32}@h:0",
    ],
)
def test_bad_peer_addresses_are_refused(text: str) -> None:
    with pytest.raises(InvalidPeerAddress):
        PeerAddress.parse(text)


def test_recent_ids_forget_the_oldest() -> None:
    recent = RecentIds(2)
    for item in (b"a", b"b", b"a", b"c"):
        recent.add(item)
    assert b"a" in recent
    assert b"c" in recent
    assert b"b" not in recent
    assert len(recent) == 2
