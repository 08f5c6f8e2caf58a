"""A sensor's announcement: canonical bytes, signed by the sensor and its channel, checked."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from streams_support import Node, an_announcement, local_node

from plaza.channels import (
    Channel,
    ChannelMode,
    Descriptor,
    InvalidChannelData,
    announce,
    find_announcements,
    parse_announcement,
)
from plaza.crypto import Identity
from plaza.ledger.model import DataPayload
from plaza.streams import (
    STREAMS_TAG,
    DataType,
    InvalidAnnouncement,
    SensorAnnouncement,
    sensor_from,
)


@pytest.fixture
def node() -> Iterator[Node]:
    with local_node() as running:
        yield running


def test_an_announcement_survives_its_descriptor_and_its_bytes_are_canonical() -> None:
    announcement = an_announcement()
    assert SensorAnnouncement.from_descriptor(announcement.descriptor()) == announcement
    again = dataclasses.replace(announcement, data_types=tuple(announcement.data_types))
    assert again.canonical_bytes() == announcement.canonical_bytes()
    assert b"\xc2\xb5g/m\xc2\xb3" in announcement.canonical_bytes()  # UTF-8 units, not escapes
    assert an_announcement(price=601).canonical_bytes() != announcement.canonical_bytes()


def test_a_sensor_is_found_under_the_streams_tag_and_checked_against_its_signers(
    node: Node,
) -> None:
    owner = Identity.generate()
    channel = Channel.create(ChannelMode.RESTRICTED, owner)
    said = an_announcement(encryption=owner.encryption.public_key)
    posted = announce(
        node.gateway, channel, owner, said.descriptor(), clock=node.clock, directory=STREAMS_TAG
    )
    message = node.gateway.message(posted.message_id)
    assert message is not None
    sensor = sensor_from(parse_announcement(message))
    assert sensor.announcement == said
    assert sensor.owner == owner.public_key
    assert sensor.channel_id == channel.id
    [found] = find_announcements(node.gateway, directory=STREAMS_TAG)
    assert sensor_from(found) == sensor


def test_an_altered_announcement_fails_its_signatures(node: Node) -> None:
    owner = Identity.generate()
    channel = Channel.create(ChannelMode.RESTRICTED, owner)
    posted = announce(
        node.gateway,
        channel,
        owner,
        an_announcement().descriptor(),
        clock=node.clock,
        directory=STREAMS_TAG,
    )
    message = node.gateway.message(posted.message_id)
    assert message is not None
    assert isinstance(message.payload, DataPayload)
    data = message.payload.data.replace(b"600", b"006")  # a cheaper price, by someone else
    forged = node.gateway.compose(owner.signing, DataPayload(STREAMS_TAG, data))
    with pytest.raises(InvalidChannelData, match="signature"):
        parse_announcement(forged)


def test_only_a_restricted_channel_sells_a_stream(node: Node) -> None:
    owner = Identity.generate()
    channel = Channel.create(ChannelMode.PUBLIC, owner)
    posted = announce(
        node.gateway,
        channel,
        owner,
        an_announcement().descriptor(),
        clock=node.clock,
        directory=STREAMS_TAG,
    )
    with pytest.raises(InvalidAnnouncement, match="restricted"):
        sensor_from(posted)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"v": "2"}, "version 1"),
        ({"price": "0"}, "price"),
        ({"price": "012"}, "whole number"),
        ({"lat": "91"}, "latitude"),
        ({"lat": "north"}, "could not convert"),
        ({"types": "[]"}, "data types"),
        ({"types": '[["pm25"]]'}, "pairs"),
        ({"pay_to": "plz1nothing"}, "invalid address"),
        ({"encryption_key": "ab"}, "32 bytes"),
        ({"name": ""}, "'name' is missing"),
    ],
)
def test_a_bad_descriptor_is_refused_saying_what(change: dict[str, str], says: str) -> None:
    fields = {**an_announcement().descriptor().as_dict(), **change}
    with pytest.raises(InvalidAnnouncement, match=says):
        SensorAnnouncement.from_descriptor(Descriptor.of(fields))


def test_data_types_are_named_once_with_a_unit() -> None:
    with pytest.raises(InvalidAnnouncement, match="each named once"):
        dataclasses.replace(an_announcement(), data_types=(DataType("a", "x"), DataType("a", "y")))
    with pytest.raises(InvalidAnnouncement, match="unit"):
        DataType("pm25", "")
