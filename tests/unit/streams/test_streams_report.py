"""A sensor's sales report for its owner's dashboard, and the owner its announcement names."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st
from streams_support import an_announcement

from plaza.channels import Descriptor
from plaza.streams import InvalidAnnouncement, InvalidMemo, SensorAnnouncement
from plaza.streams.report import (
    MAX_SUBSCRIBERS,
    SalesReport,
    Subscriber,
    decode_report,
    encode_report,
    report_tag,
)

_U64 = st.integers(0, 2**64 - 1)
_SUBSCRIBER = st.builds(
    Subscriber, st.binary(min_size=32, max_size=32), _U64, st.integers(0, 2**32 - 1), _U64
)


@given(_U64, _U64, _U64, st.lists(_SUBSCRIBER, max_size=MAX_SUBSCRIBERS + 5))
def test_a_report_survives_its_bytes_and_lists_the_latest_ends_first(
    at_ms: int, revenue: int, refunded: int, subscribers: list[Subscriber]
) -> None:
    report = SalesReport.of(at_ms, revenue, refunded, subscribers)
    assert decode_report(encode_report(report)) == report
    assert len(report.subscribers) == min(len(subscribers), MAX_SUBSCRIBERS)
    ends = [s.ends_at_ms for s in report.subscribers]
    assert ends == sorted(ends, reverse=True)
    assert ends == sorted((s.ends_at_ms for s in subscribers), reverse=True)[:MAX_SUBSCRIBERS]
    assert all(len(s.reader) == 8 for s in report.subscribers)  # a key's first bytes only


def test_time_left_and_the_active_subscribers() -> None:
    running, ended = Subscriber(b"a" * 8, 5_000, 1, 10), Subscriber(b"b" * 8, 1_000, 2, 20)
    report = SalesReport.of(0, 30, 0, [ended, running])
    assert running.left_ms(2_000) == 3_000
    assert ended.left_ms(2_000) == 0
    assert report.active(2_000) == [running]


@pytest.mark.parametrize(
    "data",
    [b"", b"\x02" + bytes(26), encode_report(SalesReport.of(1, 2, 3, []))[:-1]],
)
def test_what_is_not_a_report_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidMemo):
        decode_report(data)


def test_a_report_whose_count_disagrees_with_its_length_is_refused() -> None:
    one = encode_report(SalesReport.of(1, 2, 3, [Subscriber(b"k" * 32, 9, 1, 2)]))
    with pytest.raises(InvalidMemo, match="length"):
        decode_report(one + b"\x00")
    with pytest.raises(InvalidMemo, match="length"):
        decode_report(one[:-1])


def test_each_sensor_reports_under_its_own_tag() -> None:
    assert report_tag(b"\x01" * 32) != report_tag(b"\x02" * 32)
    assert len(report_tag(b"\x01" * 32)) == 32


def test_an_owner_is_signed_with_the_announcement_and_absent_when_there_is_none() -> None:
    plain = an_announcement()
    owned = dataclasses.replace(plain, owner="usr_0123456789abcdef")
    assert SensorAnnouncement.from_descriptor(owned.descriptor()) == owned
    assert owned.descriptor().get("owner") == "usr_0123456789abcdef"
    assert plain.descriptor().get("owner") is None  # a sensor without one signs what it did
    assert owned.canonical_bytes() != plain.canonical_bytes()


@pytest.mark.parametrize(
    "owner", ["someone", "usr_0123", "usr_0123456789ABCDEF", "usr_" + "0" * 17]
)
def test_an_owner_that_is_not_a_user_id_is_refused(owner: str) -> None:
    with pytest.raises(InvalidAnnouncement, match="user id"):
        dataclasses.replace(an_announcement(), owner=owner)
    fields = an_announcement().descriptor().as_dict() | {"owner": owner}
    with pytest.raises(InvalidAnnouncement, match="user id"):
        SensorAnnouncement.from_descriptor(Descriptor.of(fields))
