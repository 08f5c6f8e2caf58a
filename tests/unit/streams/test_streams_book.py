"""The sensor's book on real SQLite: payments through their states, subscriptions, revenue."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

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
