"""The provider SDK: the decorator, loading ``module:function``, and jobs within their limits;
the provider's book across a reopen; the data directory's modes."""

from __future__ import annotations

import stat
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from plaza.services import InvalidDescription, ProviderState
from plaza.services.provider import JobFailed, ProviderHome, Service, load_service, service
from plaza.services.provider.book import Call, StoredQuote
from plaza.services.provider.jobs import Jobs, Outcome


@service(name="double", title="Doubles a number", price=3, time_to_result_s=1, concurrency=1)
def double(job: Any) -> Any:
    """Twice the input."""
    if job == "fail":
        raise JobFailed("cannot double a word")
    if job == "crash":
        raise ZeroDivisionError("division by zero")
    if job == "sleep":
        time.sleep(1.5)
    if job == "set":
        return {1, 2}
    return job * 2


def finish(jobs: Jobs, hold_id: bytes) -> Outcome:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for done, outcome in jobs.done():
            if done == hold_id:
                return outcome
        time.sleep(0.01)
    raise AssertionError("the job never ended")


def test_the_decorator_makes_a_service_that_is_still_the_function() -> None:
    assert isinstance(double, Service)
    assert double(21) == 42
    assert double.description == "Twice the input."
    described = double.describe(
        pay_to="plz1e2evw6u5f323yvy8y2e750c2pay427vlzt5hpm3tdmplh62elr2qpurgfp",
        encryption_key="11" * 32,
        endpoint="http://127.0.0.1:1",
    )
    assert (described.price, described.time_to_result_ms) == (3, 1000)
    assert load_service(f"{__name__}:double") is double


@pytest.mark.parametrize(
    ("reference", "says"),
    [
        ("nothing", "name a service as module:function"),
        ("no_such_module_here:f", "cannot be loaded"),
        (f"{__name__}:finish", "is not decorated with @service"),
    ],
)
def test_a_reference_that_is_not_a_service_says_why(reference: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        load_service(reference)


def test_terms_out_of_bounds_are_refused() -> None:
    with pytest.raises(InvalidDescription, match="concurrency"):
        service(name="x", title="X", price=1, concurrency=0)(print)
    with pytest.raises(InvalidDescription, match="time limit"):
        service(name="x", title="X", price=1, time_to_result_s=1, time_limit_s=2)(print)


def test_jobs_end_with_a_result_a_reason_or_their_time_limit() -> None:
    jobs = Jobs(double)
    try:
        cases = {
            b"ok": Outcome(result=b"42"),
            b"fail": Outcome(failure="cannot double a word"),
            b"crash": Outcome(failure="the job failed: ZeroDivisionError: division by zero"),
            b"set": Outcome(
                failure="the job's result is not JSON: Object of type set is not JSON serializable"
            ),
            b"sleep": Outcome(failure="the job did not finish within 1 s"),
        }
        inputs = {b"ok": 21, b"fail": "fail", b"crash": "crash", b"set": "set", b"sleep": "sleep"}
        for hold_id, expected in cases.items():
            jobs.start(hold_id, inputs[hold_id])
            assert jobs.full  # concurrency 1: one at a time
            assert finish(jobs, hold_id) == expected
    finally:
        jobs.close()


def test_the_book_keeps_quotes_and_calls_across_a_reopen(tmp_path: Path) -> None:
    home = ProviderHome(tmp_path / "provider")
    book = home.book()
    call = Call(
        b"h" * 32, b"c" * 16, ProviderState.ACCEPTED, 3, 99, b"k" * 32, b"21", "", None, None, 1
    )
    assert book.take(call)
    assert not book.take(call)  # one hold is one call
    moved = book.move(call, "result", 2, result_id=b"r" * 32)
    assert moved.state is ProviderState.PUBLISHED
    book.close()
    reopened = home.book()
    try:
        assert reopened.unfinished() == [moved]
        with pytest.raises(ValueError, match="cannot take 'failure'"):
            reopened.move(moved, "failure", 3)
    finally:
        reopened.close()
    stale = StoredQuote(b"q" * 16, "double", 3, b"s" * 32, b"l" * 32, 50, 0)
    paid = StoredQuote(b"c" * 16, "double", 3, b"s" * 32, b"l" * 32, 50, 0)
    fresh = StoredQuote(b"f" * 16, "double", 3, b"s" * 32, b"l" * 32, 500, 0)
    reopened = home.book()
    try:
        for quote in (stale, paid, fresh):
            assert reopened.save_quote(quote) == quote
        assert reopened.save_quote(replace(fresh, deadline_ms=9)) == fresh  # one per call id
        assert reopened.forget_quotes(100) == 1  # the paid one stays: its call needs it
        assert (reopened.quote(stale.call_id), reopened.quote(paid.call_id)) == (None, paid)
    finally:
        reopened.close()
    identity = home.identity()
    assert home.identity().public_key == identity.public_key
    assert stat.S_IMODE(home.path.stat().st_mode) == 0o700
    for name in ("identity.json", "calls.sqlite3"):
        assert stat.S_IMODE((home.path / name).stat().st_mode) == 0o600
