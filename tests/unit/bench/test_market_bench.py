"""``plaza bench market``: the figures the issue asks for, on a tiny workload.

This checks the command, its keys and the baseline book, not any speed: speed
goals are read off the benchmark's own output, never asserted in a test.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from plaza.bench.market import ReferenceBook, run_market_benchmark
from plaza.bench.market_e2e import submit_patiently
from plaza.cli.main import app
from plaza.clients.errors import NodeBusyError
from plaza.clients.market import OrderTerms
from plaza.market import POLICIES

TERMS = OrderTerms("bench-0", 10, 5, 0, 3_600_000)

REQUIRED = {
    "cda_ops_per_s",
    "baseline_ops_per_s",
    "cda_to_baseline_ratio",
    "clear_10k_s",
    "clear_100k_s",
    "e2e_contracts_per_s",
    "e2e_p99_s",
} | {f"{name}_ops_per_s" for name in POLICIES}


def test_the_reference_book_keeps_price_time_priority() -> None:
    book = ReferenceBook()
    book.add(("a1", False, 101, 5))
    book.add(("a2", False, 100, 5))
    book.add(("a3", False, 100, 5))
    book.cancel("a3")
    book.add(("b1", True, 102, 8))
    assert book.trades == [("a2", "b1", 5, 100), ("a1", "b1", 3, 101)]
    book.add(("a4", False, 99, 1))  # nothing left to buy: it rests
    assert len(book.trades) == 2
    assert book.live.keys() == {"a1", "a4"}
    assert book.live["a1"] == [2]


def test_the_benchmark_reports_every_figure() -> None:
    result = run_market_benchmark(
        operations=3000, rounds=1, clear_every=500, clear_sizes=(50, 200), service_operations=300
    )
    figures = result.figures()
    assert figures.keys() >= REQUIRED
    assert figures["e2e_contracts_per_s"] is None
    assert figures["e2e_p99_s"] is None
    assert all(figures[f"{name}_ops_per_s"] > 0 for name in POLICIES)  # type: ignore[operator]
    assert result.cda_to_baseline_ratio == pytest.approx(
        result.policy_ops_per_s["cda"] / result.baseline_ops_per_s
    )
    assert result.clear_10k_s > 0
    assert result.clear_100k_s > 0
    assert result.bid_manager_memory_ops_per_s > 0
    assert result.bid_manager_sqlite_ops_per_s > 0


def test_the_command_prints_one_json_object() -> None:
    args = [
        "bench",
        "market",
        "--json",
        "--operations",
        "500",
        "--rounds",
        "1",
        "--clear-small",
        "20",
        "--clear-large",
        "40",
        "--service-operations",
        "100",
        "--e2e-threads",
        "2",
        "--e2e-pairs",
        "3",
        "--twin-lag-limit",
        "30",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures.keys() >= REQUIRED
    assert figures["operations"] == 500
    assert figures["e2e_contracts_per_s"] > 0  # six contracts made through the served API
    assert figures["e2e_p99_s"] > 0
    assert figures["e2e_twins"] is True  # by default, twins recorded on a node served there
    assert figures["e2e_no_twins_contracts_per_s"] > 0
    assert figures["e2e_single_ledger_messages"] > 6 * 4  # its twin, orders, parties: each
    assert figures["e2e_single_contracts_per_s"] > 0  # the baseline: no carriers
    assert figures["e2e_single_twin_lag_p99_s"] > 0
    assert figures["e2e_carriers_vs_single"] > 0
    assert 0 < figures["e2e_twins_written_contracts_per_s"] <= figures["e2e_contracts_per_s"]
    assert figures["e2e_carriers_vs_single_twins_written"] > 0
    # in carriers, many twin states share a ledger message
    assert 0 < figures["e2e_ledger_messages"] < figures["e2e_single_ledger_messages"] / 2
    assert 0 < figures["e2e_twin_written_lag_p99_s"] < 60  # every state waited, and got there
    assert 0 < figures["e2e_twin_lag_p99_s"] < 120  # confirmed by a milestone, each one
    assert figures["e2e_twin_drain_s"] >= 0
    # once more under the twin lag limit: nothing that small reaches it
    assert figures["e2e_limited_twin_lag_limit_s"] == 30
    assert figures["e2e_limited_contracts_per_s"] > 0
    assert figures["e2e_limited_refused"] == 0
    assert 0 < figures["e2e_limited_twin_lag_p99_s"] <= figures["e2e_limited_twin_lag_max_s"]


def test_a_trader_waits_out_twins_behind_and_sends_the_same_order_again() -> None:
    sent: list[str | None] = []
    slept: list[float] = []
    accepted: Any = object()
    answers: list[object] = [
        NodeBusyError(503, "twins_behind", "behind", retry_after=2.0),
        NodeBusyError(503, "twins_behind", "behind", retry_after=None),
        accepted,
    ]

    def submit(terms: OrderTerms, *, idempotency_key: str | None = None) -> Any:
        sent.append(idempotency_key)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    record, refused = submit_patiently(submit, TERMS, sleep=slept.append)
    assert record is accepted
    assert refused == 2
    assert slept == [2.0, 1.0]
    assert len(set(sent)) == 1  # one order, one key: the retry cannot make a second
    assert sent[0] is not None


def test_other_refusals_are_not_waited_out() -> None:
    def submit(terms: OrderTerms, *, idempotency_key: str | None = None) -> Any:
        raise NodeBusyError(503, "storage_unavailable", "disk", retry_after=5.0)

    with pytest.raises(NodeBusyError, match="storage_unavailable"):
        submit_patiently(submit, TERMS, sleep=lambda _s: pytest.fail("waited"))
