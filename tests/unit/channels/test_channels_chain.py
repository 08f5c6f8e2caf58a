"""The forward chain: derivations are deterministic, separated, and walk forward only."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from plaza.channels import Channel, ChannelMode, ReaderKey
from plaza.channels.chain import ChainPoint, channel_id, hint, hint_key, inbox_tag, public_root
from plaza.crypto import EncryptionKey, Identity


@given(st.binary(min_size=32, max_size=32), st.integers(0, 50))
def test_advance_is_repeated_next(state: bytes, steps: int) -> None:
    point = ChainPoint(0, state)
    walked = point
    for _ in range(steps):
        walked = walked.next()
    assert point.advance(steps) == walked
    assert walked.position == steps


def test_every_derivation_of_a_point_differs() -> None:
    point = ChainPoint(3, bytes(range(32)))
    values = [
        point.state,
        point.next().state,
        point.tag,
        point.chain_key,
        point.issuer().seed_bytes,
    ]
    assert len(set(values)) == len(values)


def test_a_later_point_does_not_yield_earlier_tags() -> None:
    start = ChainPoint(0, bytes(32))
    tags = [point.tag for point in start.window(20)]
    later = start.advance(10)
    derived = {point.tag for point in later.window(10)}
    assert derived == set(tags[10:])
    assert not derived & set(tags[:10])


def test_public_channels_start_from_their_key_and_others_from_a_secret() -> None:
    owner = Identity.generate()
    public = Channel.create(ChannelMode.PUBLIC, owner)
    private = Channel.create(ChannelMode.PRIVATE, owner)
    assert public.root == public_root(public.public_key)
    assert ReaderKey.public(public.public_key).chain == public.root
    assert private.root != public_root(private.public_key)
    assert public.id == channel_id(public.public_key) != private.id


def test_same_secret_same_channel() -> None:
    owner = Identity.generate().public_key
    secret = bytes(range(32))
    first, second = (Channel(ChannelMode.RESTRICTED, owner, secret) for _ in range(2))
    assert first == second
    assert first.public_key == second.public_key
    assert first.root == second.root
    assert first.epoch_key(3) == second.epoch_key(3) != first.epoch_key(4)


def test_hints_do_not_link_epochs_or_readers() -> None:
    channel = Channel.create(ChannelMode.RESTRICTED, Identity.generate())
    readers = [EncryptionKey.generate().public_key for _ in range(3)]
    hints = {hint(hint_key(channel.hint_master, r), e) for r in readers for e in range(4)}
    assert len(hints) == 12


def test_inbox_tag_depends_on_the_recipient_only() -> None:
    first, second = EncryptionKey.generate().public_key, EncryptionKey.generate().public_key
    assert inbox_tag(first) == inbox_tag(first) != inbox_tag(second)
    assert len(inbox_tag(first)) == 32
