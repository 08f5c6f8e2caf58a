"""A city's week of slots on every core: ``plaza simulate energy`` as it runs.

A slot depends on its number and the seed alone (each slot clears on a fresh
engine and the agents' profiles draw each day from its own seed), so the slots
of a long simulation may run apart and their sums (:class:`Tally`) add up to the
same report whatever ran where. A simulation of more than a day runs its days
in worker processes, one day at a time each: a day's profiles are drawn once by
the process that runs it, and 100,000 agents' tables for a day fit in a few
hundred megabytes per process. Processes, not threads: matching is pure Python
and would hold the GIL. A day or less runs in this process, where starting
workers would cost more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace

from plaza.agents.energy.profiles import SLOTS_PER_DAY
from plaza.agents.energy.simulate import EnergySimulation, SimulationReport, Tally

__all__ = ["default_workers", "simulate_energy"]

#: The simulation a worker process built once, at its start, for the days it is given.
_simulation: EnergySimulation | None = None


def default_workers() -> int:
    """One worker per core this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def simulate_energy(
    agents: int,
    slots: int,
    *,
    seed: int = 42,
    policy: str = "uniform",
    reference_price: int = 250,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> SimulationReport:
    """Build the agents and run ``slots`` slots on up to ``workers`` processes."""
    if workers < 1:
        raise ValueError("simulate with at least one worker")
    began = time.perf_counter()
    simulation = EnergySimulation(agents, seed=seed, policy=policy, reference_price=reference_price)
    setup = time.perf_counter() - began
    days = [(first, min(first + SLOTS_PER_DAY, slots)) for first in range(0, slots, SLOTS_PER_DAY)]
    workers = min(workers, len(days))
    if workers == 1:
        report = simulation.run(slots, progress=progress)
    else:
        began = time.perf_counter()
        settings = (agents, seed, policy, reference_price)
        tally = _run_days(settings, days, workers, progress)
        report = simulation.report(slots, tally, time.perf_counter() - began, workers)
    return replace(report, setup_s=round(setup, 3))


def _run_days(
    settings: tuple[int, int, str, int],
    days: list[tuple[int, int]],
    workers: int,
    progress: Callable[[int], None] | None,
) -> Tally:
    """Each day's slots in one of ``workers`` processes, their tallies added up here.

    Spawned, not forked: the caller may hold threads (a progress bar's), and a fork
    copies their locks in whatever state they were.
    """
    context = multiprocessing.get_context("spawn")
    tally, done = Tally(), 0
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start, initargs=settings
    ) as pool:
        running = {pool.submit(_run, first, stop): stop - first for first, stop in days}
        for finished in as_completed(running):
            tally.merge(finished.result())
            done += running[finished]
            if progress is not None:
                progress(done)
    return tally


def _start(agents: int, seed: int, policy: str, reference_price: int) -> None:
    """A worker builds the same agents as every other process, from the same seed."""
    global _simulation  # noqa: PLW0603 - one simulation per worker process, made once
    _simulation = EnergySimulation(
        agents, seed=seed, policy=policy, reference_price=reference_price
    )


def _run(first: int, stop: int) -> Tally:
    assert _simulation is not None, "the worker's initializer builds the simulation"
    return _simulation.tally(first, stop)
