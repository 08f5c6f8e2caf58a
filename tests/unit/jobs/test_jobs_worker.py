"""The worker over real queues: retries end in success or the dead letters, and a
worker killed mid-job loses nothing."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plaza.jobs import (
    InlineQueue,
    JobQueue,
    JobState,
    Lease,
    PermanentFailure,
    QueueError,
    RetryPolicy,
    Worker,
)
from plaza.jobs.sqlite import SqliteQueue
from plaza.testing import FakeClock

POLICY = RetryPolicy(max_attempts=4, base_delay_ms=1_000, factor=2)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["inline", "sqlite"])
def queue(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[JobQueue]:
    opened: JobQueue
    if request.param == "inline":
        opened = InlineQueue(clock, policy=POLICY)
    else:
        opened = SqliteQueue(tmp_path / "jobs.sqlite", clock, policy=POLICY)
    try:
        yield opened
    finally:
        opened.close()


class Flaky:
    """Fails its first ``failures`` calls, then succeeds; records every payload."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[dict[str, Any]] = []

    def __call__(self, payload: dict[str, Any]) -> None:
        self.calls.append(payload)
        if len(self.calls) <= self.failures:
            raise ConnectionError(f"down (call {len(self.calls)})")


def drive(worker: Worker, clock: FakeClock, *, rounds: int, step_ms: int = 60_000) -> None:
    """Run what is due, move the clock past any backoff, repeat."""
    for _ in range(rounds):
        worker.run_until_idle()
        clock.advance(ms=step_ms)


def test_fails_twice_then_completes(queue: JobQueue, clock: FakeClock) -> None:
    handler = Flaky(failures=2)
    worker = Worker(queue, {"deliver": handler})
    job = queue.enqueue("deliver", {"n": 1})

    assert worker.run_until_idle() == 1
    assert worker.run_until_idle() == 0  # backing off
    drive(worker, clock, rounds=3)

    done = queue.get(job.id)
    assert done is not None
    assert (done.state, done.attempts) == (JobState.DONE, 3)
    assert handler.calls == [{"n": 1}] * 3
    assert worker.statistics() == {"completed": 1, "retried": 2, "dead": 0, "lost_leases": 0}


def test_always_failing_ends_dead_lettered(queue: JobQueue, clock: FakeClock) -> None:
    handler = Flaky(failures=1_000)
    worker = Worker(queue, {"deliver": handler})
    job = queue.enqueue("deliver", {})
    drive(worker, clock, rounds=10)

    dead = queue.get(job.id)
    assert dead is not None
    assert (dead.state, dead.attempts) == (JobState.DEAD, 4)
    assert dead.last_error == "ConnectionError: down (call 4)"
    assert len(handler.calls) == 4
    assert [j.id for j in queue.dead_letters()] == [job.id]


def test_permanent_failure_is_not_retried(queue: JobQueue, clock: FakeClock) -> None:
    def reject(payload: dict[str, Any]) -> None:
        raise PermanentFailure("no such contract")

    worker = Worker(queue, {"settle": reject})
    job = queue.enqueue("settle", {})
    drive(worker, clock, rounds=3)
    dead = queue.get(job.id)
    assert dead is not None
    assert (dead.state, dead.attempts, dead.last_error) == (
        JobState.DEAD,
        1,
        "PermanentFailure: no such contract",
    )


def test_a_job_without_handler_waits_then_dies(queue: JobQueue, clock: FakeClock) -> None:
    job = queue.enqueue("from-the-future", {})
    drive(Worker(queue, {}), clock, rounds=6)
    dead = queue.get(job.id)
    assert dead is not None
    assert dead.state is JobState.DEAD
    assert dead.last_error == "no handler for job name 'from-the-future'"


def test_a_handler_outliving_its_lease_leaves_the_outcome_to_the_new_holder(
    queue: JobQueue, clock: FakeClock
) -> None:
    second = Worker(queue, {"slow": lambda payload: None}, lease_ms=1_000)

    def slow(payload: dict[str, Any]) -> None:
        clock.advance(ms=5_000)  # the lease runs out while this runs...
        assert second.run_once() == 1  # ...and another worker takes the job and finishes it

    first = Worker(queue, {"slow": slow}, lease_ms=1_000)
    job = queue.enqueue("slow", {})
    assert first.run_once() == 1
    assert first.statistics()["lost_leases"] == 1
    assert second.statistics()["completed"] == 1
    done = queue.get(job.id)
    assert done is not None
    assert (done.state, done.attempts) == (JobState.DONE, 2)


def test_failures_are_logged_without_payloads(
    queue: JobQueue, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    worker = Worker(queue, {"deliver": Flaky(failures=1_000)})
    queue.enqueue("deliver", {"secret": "hunter2"})
    with caplog.at_level(logging.INFO, logger="plaza.jobs"):
        drive(worker, clock, rounds=6)
    assert "dead after 4 attempts" in caplog.text
    assert "hunter2" not in caplog.text


def test_inline_queue_runs_jobs_as_they_are_enqueued(clock: FakeClock) -> None:
    queue = InlineQueue(clock)
    ran: list[str] = []

    def first(payload: dict[str, Any]) -> None:
        ran.append("first")
        queue.enqueue("second", {})  # runs after this handler returns, not inside it
        ran.append("first done")

    worker = Worker(queue, {"first": first, "second": lambda payload: ran.append("second")})
    queue.on_enqueue(worker.run_until_idle)
    queue.enqueue("first", {})
    assert ran == ["first", "first done", "second"]
    queue.enqueue("first", {}, run_at_ms=clock.now_ms() + 1_000)  # delayed: waits for its time
    assert len(ran) == 3
    queue.close()


def test_run_works_until_stopped(queue: JobQueue) -> None:
    done = threading.Event()
    worker = Worker(queue, {"ping": lambda payload: done.set()})
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), kwargs={"poll_s": 0.01})
    thread.start()
    try:
        queue.enqueue("ping", {})
        assert done.wait(10)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


class Flickering(InlineQueue):
    """An inline queue whose backend is down for the first ``outages`` claims."""

    def __init__(self, clock: FakeClock, outages: int) -> None:
        super().__init__(clock)
        self.outages = outages

    def claim(self, *, lease_ms: int, limit: int = 1) -> list[Lease]:
        if self.outages > 0:
            self.outages -= 1
            raise QueueError("Redis: connection refused (simulated)")
        return super().claim(lease_ms=lease_ms, limit=limit)


def test_run_rides_out_a_backend_outage(clock: FakeClock) -> None:
    queue = Flickering(clock, outages=3)
    done = threading.Event()
    worker = Worker(queue, {"ping": lambda payload: done.set()})
    queue.enqueue("ping", {})
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), kwargs={"poll_s": 0.01})
    thread.start()
    try:
        assert done.wait(10)
    finally:
        stop.set()
        thread.join(10)
    assert queue.outages == 0
    queue.close()


_CRASHING_WORKER = """
import sys, time
from plaza.jobs import Worker
from plaza.jobs.sqlite import SqliteQueue
from plaza.testing import FakeClock

def handler(payload):
    open(sys.argv[2], "w").close()
    time.sleep(120)

queue = SqliteQueue(sys.argv[1], FakeClock())
Worker(queue, {"settle": handler}, lease_ms=30_000).run_once()
"""


@pytest.mark.slow
def test_a_worker_killed_mid_job_loses_nothing(tmp_path: Path, clock: FakeClock) -> None:
    path, started = tmp_path / "jobs.sqlite", tmp_path / "started"
    queue = SqliteQueue(path, clock, policy=POLICY)
    try:
        job = queue.enqueue("settle", {"contract": "c1"})
        process = subprocess.Popen(
            [sys.executable, "-c", _CRASHING_WORKER, str(path), str(started)]
        )
        try:
            deadline = time.monotonic() + 30
            while not started.exists() and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            assert started.exists(), "the worker never started the job"
        finally:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)

        handled: list[dict[str, Any]] = []
        worker = Worker(queue, {"settle": handled.append}, lease_ms=30_000)
        assert worker.run_once() == 0  # the dead worker's lease still stands
        clock.advance(ms=30_000)
        assert worker.run_once() == 1
        done = queue.get(job.id)
        assert done is not None
        assert (done.state, done.attempts) == (JobState.DONE, 2)
        assert handled == [{"contract": "c1"}]
    finally:
        queue.close()
