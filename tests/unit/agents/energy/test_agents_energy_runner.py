"""A simulation run on several processes reports exactly what one process does."""

from __future__ import annotations

import pytest

from plaza.agents.energy.profiles import SLOTS_PER_DAY
from plaza.agents.energy.runner import simulate_energy

TIMINGS = {"elapsed_s", "slots_per_s", "setup_s", "workers"}


def _figures(workers: int, slots: int) -> tuple[dict[str, object], int]:
    report = simulate_energy(40, slots, seed=9, workers=workers).to_json()
    return {k: v for k, v in report.items() if k not in TIMINGS}, report["workers"]


def test_days_run_in_worker_processes_add_up_to_the_same_report() -> None:
    slots = 2 * SLOTS_PER_DAY + 7  # three runs of slots, the last one short
    alone, one = _figures(1, slots)
    apart, two = _figures(2, slots)
    assert (one, two) == (1, 2)
    assert apart == alone
    assert alone["trades"], "the days must trade for the sums to mean anything"


def test_a_day_or_less_runs_in_this_process_whatever_is_asked() -> None:
    assert _figures(4, SLOTS_PER_DAY)[1] == 1


def test_no_workers_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one worker"):
        simulate_energy(10, 4, workers=0)
