"""The sensor's book on real SQLite: payments through their states, subscriptions, revenue."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plaza.streams import extend
from plaza.streams.sensor.book import HandledPayment, SensorBook

READER = b"r" * 32


@pytest.fixture
def book(tmp_path: Path) -> Iterator[SensorBook]:
    opened = SensorBook(tmp_path / "sensor" / "sensor.sqlite3")
    yield opened
    opened.close()


def _payment(number: int, *, at_ms: int = 1_000, amount: int = 100) -> HandledPayment:
    return HandledPayment(
        bytes([number]) * 32, "plz1payer", amount, READER, "accepted", "", None, None, at_ms
    )


def test_accepting_extends_the_subscription_and_survives_a_reopen(
    book: SensorBook, tmp_path: Path
) -> None:
    first = book.accept(_payment(1, at_ms=1_000), 5_000)
    assert first.ends_at_ms == 6_000
    renewed = book.accept(_payment(2, at_ms=2_000), 1_000)  # while running: from its end
    assert renewed.ends_at_ms == 7_000
    lapsed = book.accept(_payment(3, at_ms=9_000), 1_000)  # after it ended: from now
    assert lapsed.ends_at_ms == 10_000
    assert [p.state for p in book.unfinished()] == ["accepted"] * 3
    book.finish(bytes([1]) * 32, "delivered")
    assert len(book.unfinished()) == 2
    assert book.revenue() == 300
    book.close()
    again = SensorBook(tmp_path / "sensor" / "sensor.sqlite3")
    try:
        assert again.subscriptions()[0].ends_at_ms == 10_000
        assert again.handled == {bytes([n]) * 32 for n in (1, 2, 3)}  # read back at open
        assert again.payment(bytes([1]) * 32) == replace(
            _payment(1), state="delivered", ends_at_ms=6_000
        )
    finally:
        again.close()


def test_refunds_and_contracts_are_recorded_and_the_file_is_private(
    book: SensorBook, tmp_path: Path
) -> None:
    owed = replace(_payment(4), reader=None, state="refunding", detail="too little")
    book.record(owed)
    assert owed.message_id in book.handled
    assert book.unfinished() == [owed]
    book.finish(owed.message_id, "refunded", b"f" * 32)
    assert book.payment(owed.message_id) == replace(owed, state="refunded", refund_id=b"f" * 32)
    assert book.unfinished() == []
    assert not book.contract_paid("c-1")
    book.accept(replace(_payment(5), contract="c-1"), 1_000)
    assert book.contract_paid("c-1")
    book.set_fact("offer", "o-1")
    assert book.fact("offer") == "o-1"
    assert book.fact("nothing") is None
    assert stat.S_IMODE(os.stat(tmp_path / "sensor" / "sensor.sqlite3").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "sensor").st_mode) == 0o700


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 10_000), st.integers(1, 5_000)),
        min_size=1,
        max_size=12,
    )
)
def test_the_books_subscriptions_follow_the_renewal_rule(
    purchases: list[tuple[int, int, int]],
) -> None:
    """Whatever order readers pay in, each one's end in the book is the rule's fold of its
    own payments: extended from the end while it runs, from the payment after it lapsed."""
    expected: dict[bytes, int] = {}
    with tempfile.TemporaryDirectory() as folder:
        book = SensorBook(Path(folder) / "sensor.sqlite3")
        try:
            now = 0
            for number, (who, wait, duration) in enumerate(purchases):
                now += wait
                reader = bytes([who]) * 32
                payment = replace(_payment(number % 256, at_ms=now), reader=reader)
                payment = replace(payment, message_id=number.to_bytes(32, "big"))
                book.accept(payment, duration)
                expected[reader] = extend(expected.get(reader), now, duration)
            assert {s.reader: s.ends_at_ms for s in book.subscriptions()} == expected
            assert book.revenue() == 100 * len(purchases)
        finally:
            book.close()
