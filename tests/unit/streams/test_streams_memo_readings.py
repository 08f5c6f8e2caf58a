"""Payment and refund memos, readings and their downloads, and the public preview."""

from __future__ import annotations

import csv
import io
import json

import pytest

from plaza.crypto import Identity
from plaza.streams import PROFILES, InvalidMemo, PaymentMemo, Reading, RefundMemo, to_csv, to_json
from plaza.streams.preview import decode_preview, encode_preview, preview_tag
from plaza.streams.readings import InvalidReading


def test_a_payment_memo_carries_the_stream_and_the_buyers_key() -> None:
    memo = PaymentMemo(b"\x07" * 32, Identity.generate().encryption.public_key)
    assert len(memo.encode()) == 65
    assert PaymentMemo.decode(memo.encode()) == memo
    with pytest.raises(InvalidMemo):
        PaymentMemo.decode(memo.encode()[:-1])
    with pytest.raises(InvalidMemo):
        PaymentMemo.decode(b"\x02" + memo.encode()[1:])


def test_a_refund_memo_says_which_payment_and_why() -> None:
    memo = RefundMemo(b"\x01" * 32, "below the minimum")
    assert RefundMemo.decode(memo.encode()) == memo
    long = RefundMemo(b"\x01" * 32, "é" * 500)
    assert len(RefundMemo.decode(long.encode()).reason.encode()) <= 400
    with pytest.raises(InvalidMemo, match="UTF-8"):
        RefundMemo.decode(b"\x01" + b"\x01" * 32 + b"\xff")


def test_a_reading_round_trips_and_a_bad_one_is_refused() -> None:
    reading = Reading(1_700_000_000_000, {"pm25": 12.5, "no2": 30.0})
    assert Reading.decode(reading.encode()) == reading
    assert reading.encode() == b'{"at":1700000000000,"values":{"no2":30.0,"pm25":12.5}}'
    for bad in (b"not json", b'{"at": 1}', b'{"at": 1, "values": {"x": "high"}}'):
        with pytest.raises(InvalidReading):
            Reading.decode(bad)


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_simulated_profiles_are_repeatable_and_report_their_types(name: str) -> None:
    first, second = PROFILES[name](3), PROFILES[name](3)
    readings = [first.reading(t * 20_000) for t in range(50)]
    assert readings == [second.reading(t * 20_000) for t in range(50)]
    names = {t.name for t in first.data_types}
    assert all(set(r.values) == names for r in readings)


def test_downloads_in_csv_and_json() -> None:
    rows = [(4, Reading(1000, {"pm25": 1.5})), (5, Reading(21000, {"pm25": 2.0, "no2": 3.0}))]
    table = list(csv.DictReader(io.StringIO(to_csv(rows))))
    assert table[0] == {"position": "4", "at_ms": "1000", "no2": "", "pm25": "1.5"}
    assert table[1]["no2"] == "3.0"
    assert json.loads(to_json(rows))[1] == {"position": 5, "at_ms": 21000, "pm25": 2.0, "no2": 3.0}


def test_a_preview_shows_the_last_readings_times_and_nothing_else() -> None:
    times = [1_000 + 20_000 * n for n in range(40)]
    encoded = encode_preview(times)
    assert decode_preview(encoded) == times[-32:]  # the newest 32
    assert len(encoded) == 2 + 32 * 8
    assert len(preview_tag(b"\x07" * 32)) == 32
    assert preview_tag(b"\x07" * 32) != preview_tag(b"\x08" * 32)
    with pytest.raises(ValueError, match="at least one"):
        encode_preview([])
    for bad in (b"", b"\x02\x01" + bytes(8), b"\x01\x00", b"\x01\x02" + bytes(8)):
        with pytest.raises(InvalidMemo):
            decode_preview(bad)
