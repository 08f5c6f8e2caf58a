"""The call book counts its calls by state in SQLite (what ``plaza demo``'s live table asks
every half second), kept across a reopen."""

from __future__ import annotations

from pathlib import Path

from plaza.services.calls import CustomerState
from plaza.services.customer_book import CustomerBook, PaidCall


def _paid(number: int) -> PaidCall:
    call_id = number.to_bytes(16, "big")
    return PaidCall(call_id, "route", bytes(32), call_id * 2, b"hold", 1_000, CustomerState.HELD)


def test_calls_are_counted_by_state(tmp_path: Path) -> None:
    book = CustomerBook(tmp_path / "calls.sqlite3")
    assert book.counts() == {}
    for number in range(5):
        book.save(_paid(number))
    book.finish(_paid(0).call_id, CustomerState.DONE, result=b"{}")
    book.finish(_paid(1).call_id, CustomerState.DONE, result=b"{}")
    book.finish(_paid(2).call_id, CustomerState.REFUNDED, detail="no road")
    book.close()
    again = CustomerBook(tmp_path / "calls.sqlite3")
    try:
        expected = {CustomerState.DONE: 2, CustomerState.REFUNDED: 1, CustomerState.HELD: 2}
        assert again.counts() == expected
    finally:
        again.close()
