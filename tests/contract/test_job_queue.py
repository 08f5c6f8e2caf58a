"""The JobQueue contract: one suite, run against the inline, SQLite and Redis queues.

The inline queue is the reference; a difference in any adapter is a bug there.
Redis runs for real (``localhost:6379``, a random key prefix per test); see
``job_backends.py`` for when it is skipped and when its absence fails.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from job_backends import QueueBackend, delete_prefix, redis_url_or_skip

from plaza.jobs import (
    InlineQueue,
    InvalidJob,
    JobNotFound,
    JobQueue,
    JobState,
    LeaseLost,
    QueueError,
    RetryPolicy,
)
from plaza.jobs.redis import RedisQueue
from plaza.jobs.sqlite import SqliteQueue
from plaza.testing import FakeClock

POLICY = RetryPolicy(max_attempts=3, base_delay_ms=1_000, factor=2, max_delay_ms=10_000)
LEASE = 30_000


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def redis_url() -> str:
    return redis_url_or_skip()


@pytest.fixture(params=["inline", "sqlite", "redis"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> Iterator[QueueBackend]:
    if request.param == "inline":
        chosen = QueueBackend("inline", lambda: InlineQueue(clock, policy=POLICY), persistent=False)
    elif request.param == "sqlite":
        path = tmp_path / "jobs.sqlite"
        chosen = QueueBackend(
            "sqlite", lambda: SqliteQueue(path, clock, policy=POLICY), persistent=True
        )
    else:
        url: str = request.getfixturevalue("redis_url")
        prefix = f"plaza-test:{uuid.uuid4().hex}"
        chosen = QueueBackend(
            "redis", lambda: RedisQueue(url, clock, prefix=prefix, policy=POLICY), persistent=True
        )
    try:
        yield chosen
    finally:
        chosen.close_all()
        if request.param == "redis":
            delete_prefix(url, prefix)


@pytest.fixture
def queue(backend: QueueBackend) -> JobQueue:
    return backend.open()


def test_enqueue_claim_complete(queue: JobQueue, clock: FakeClock) -> None:
    job = queue.enqueue("settle", {"contract": "c1", "amount": 5, "tags": ["a"], "ok": True})
    assert (job.state, job.attempts, job.max_attempts, job.run_at_ms) == (
        JobState.PENDING,
        0,
        3,
        clock.now_ms(),
    )
    assert job.payload == {"amount": 5, "contract": "c1", "ok": True, "tags": ["a"]}

    (lease,) = queue.claim(lease_ms=LEASE)
    assert lease.job.id == job.id
    assert (lease.job.state, lease.job.attempts) == (JobState.RUNNING, 1)
    assert lease.job.payload == job.payload
    assert lease.expires_ms == clock.now_ms() + LEASE
    assert queue.claim(lease_ms=LEASE) == []
    assert queue.statistics() == {"pending": 0, "running": 1, "done": 0, "dead": 0}

    queue.complete(lease)
    done = queue.get(job.id)
    assert done is not None
    assert (done.state, done.attempts) == (JobState.DONE, 1)
    assert queue.claim(lease_ms=LEASE) == []
    assert queue.statistics() == {"pending": 0, "running": 0, "done": 1, "dead": 0}
    with pytest.raises(LeaseLost):
        queue.complete(lease)


def test_refuses_what_it_cannot_store(queue: JobQueue) -> None:
    with pytest.raises(InvalidJob):
        queue.enqueue("settle", {"when": object()})
    with pytest.raises(InvalidJob):
        queue.enqueue("settle", {"x": float("nan")})
    with pytest.raises(InvalidJob):
        queue.enqueue("no spaces", {})
    with pytest.raises(InvalidJob):
        queue.enqueue("settle", {}, max_attempts=0)
    with pytest.raises(InvalidJob):
        queue.schedule("sweep", every_ms=0)
    with pytest.raises(InvalidJob):
        queue.claim(lease_ms=LEASE, limit=0)
    with pytest.raises(InvalidJob):
        queue.claim(lease_ms=0)
    assert queue.get("no-such-job") is None
    assert queue.statistics()["pending"] == 0


def test_same_key_runs_once(queue: JobQueue) -> None:
    first = queue.enqueue("notify", {"n": 1}, key="event-1")
    again = queue.enqueue("notify", {"n": 2}, key="event-1")
    other = queue.enqueue("notify", {"n": 3}, key="event-2")
    assert again == first
    assert again.payload == {"n": 1}
    assert other.id != first.id

    leases = queue.claim(lease_ms=LEASE, limit=10)
    assert [lease.job.id for lease in leases] == [first.id, other.id]
    for lease in leases:
        queue.complete(lease)

    after_done = queue.enqueue("notify", {"n": 4}, key="event-1")
    assert (after_done.id, after_done.state) == (first.id, JobState.DONE)
    assert queue.claim(lease_ms=LEASE) == []


def test_delay_is_honoured(queue: JobQueue, clock: FakeClock) -> None:
    job = queue.enqueue("remind", {}, run_at_ms=clock.now_ms() + 5_000)
    assert queue.claim(lease_ms=LEASE) == []
    clock.advance(ms=4_999)
    assert queue.claim(lease_ms=LEASE) == []
    clock.advance(ms=1)
    (lease,) = queue.claim(lease_ms=LEASE)
    assert lease.job.id == job.id


def test_claims_by_run_at_then_enqueue_order(queue: JobQueue, clock: FakeClock) -> None:
    now = clock.now_ms()
    late = queue.enqueue("j", {"i": "late"}, run_at_ms=now - 10)
    early = queue.enqueue("j", {"i": "early"}, run_at_ms=now - 1000)
    tie_a = queue.enqueue("j", {"i": "a"}, run_at_ms=now - 500)
    tie_b = queue.enqueue("j", {"i": "b"}, run_at_ms=now - 500)
    future = queue.enqueue("j", {"i": "future"}, run_at_ms=now + 1)

    first_two = queue.claim(lease_ms=LEASE, limit=2)
    rest = queue.claim(lease_ms=LEASE, limit=10)
    assert [lease.job.id for lease in first_two] == [early.id, tie_a.id]
    assert [lease.job.id for lease in rest] == [tie_b.id, late.id]
    clock.advance(ms=1)
    assert [lease.job.id for lease in queue.claim(lease_ms=LEASE)] == [future.id]


def test_expired_lease_is_delivered_again(queue: JobQueue, clock: FakeClock) -> None:
    job = queue.enqueue("pay", {})
    (crashed,) = queue.claim(lease_ms=1_000)  # its worker dies without a word
    clock.advance(ms=999)
    assert queue.claim(lease_ms=1_000) == []

    clock.advance(ms=1)
    (again,) = queue.claim(lease_ms=1_000)
    assert again.job.id == job.id
    assert again.job.attempts == 2
    assert again.token != crashed.token
    with pytest.raises(LeaseLost):
        queue.complete(crashed)
    with pytest.raises(LeaseLost):
        queue.fail(crashed, "late")
    queue.complete(again)
    done = queue.get(job.id)
    assert done is not None
    assert done.state is JobState.DONE


def test_an_expired_lease_not_yet_taken_may_still_complete(
    queue: JobQueue, clock: FakeClock
) -> None:
    job = queue.enqueue("pay", {})
    (slow,) = queue.claim(lease_ms=1_000)
    clock.advance(ms=5_000)
    queue.complete(slow)
    assert queue.claim(lease_ms=1_000) == []
    done = queue.get(job.id)
    assert done is not None
    assert done.state is JobState.DONE


def test_retries_back_off_then_dead_letter(queue: JobQueue, clock: FakeClock) -> None:
    job = queue.enqueue("deliver", {"to": "x"})
    (first,) = queue.claim(lease_ms=LEASE)
    failed = queue.fail(first, "HTTP 500")
    assert (failed.state, failed.attempts, failed.last_error) == (JobState.PENDING, 1, "HTTP 500")
    assert failed.run_at_ms == clock.now_ms() + 1_000

    clock.advance(ms=999)
    assert queue.claim(lease_ms=LEASE) == []
    clock.advance(ms=1)
    (second,) = queue.claim(lease_ms=LEASE)
    assert second.job.attempts == 2
    assert queue.fail(second, "HTTP 502").run_at_ms == clock.now_ms() + 2_000

    clock.advance(ms=2_000)
    (third,) = queue.claim(lease_ms=LEASE)
    dead = queue.fail(third, "HTTP 503")
    assert (dead.state, dead.attempts, dead.last_error) == (JobState.DEAD, 3, "HTTP 503")
    clock.advance(seconds=3600)
    assert queue.claim(lease_ms=LEASE) == []
    assert [j.id for j in queue.dead_letters()] == [job.id]
    assert queue.statistics()["dead"] == 1

    revived = queue.requeue(job.id)
    assert (revived.state, revived.attempts) == (JobState.PENDING, 0)
    assert queue.dead_letters() == []
    (fresh,) = queue.claim(lease_ms=LEASE)
    assert fresh.job.attempts == 1
    with pytest.raises(JobNotFound):
        queue.requeue(job.id)


def test_backoff_is_capped(queue: JobQueue, clock: FakeClock) -> None:
    queue.enqueue("deliver", {}, max_attempts=10)
    delays = []
    for _ in range(6):
        (lease,) = queue.claim(lease_ms=LEASE)
        delays.append(queue.fail(lease, "down").run_at_ms - clock.now_ms())
        clock.advance(seconds=60)
    assert delays == [1_000, 2_000, 4_000, 8_000, 10_000, 10_000]


def test_permanent_failure_dead_letters_at_once(queue: JobQueue) -> None:
    job = queue.enqueue("deliver", {})
    (lease,) = queue.claim(lease_ms=LEASE)
    dead = queue.fail(lease, "malformed", retry=False)
    assert (dead.state, dead.attempts) == (JobState.DEAD, 1)
    assert [j.id for j in queue.dead_letters()] == [job.id]


def test_a_job_that_keeps_killing_workers_is_dead_lettered(
    queue: JobQueue, clock: FakeClock
) -> None:
    job = queue.enqueue("poison", {}, max_attempts=2)
    queue.claim(lease_ms=1_000)
    clock.advance(ms=1_000)
    assert len(queue.claim(lease_ms=1_000)) == 1
    clock.advance(ms=1_000)
    assert queue.claim(lease_ms=1_000) == []
    dead = queue.get(job.id)
    assert dead is not None
    assert dead.state is JobState.DEAD
    assert dead.last_error == "lease expired on attempt 2"


def test_sweeps_fire_at_their_interval(queue: JobQueue, clock: FakeClock) -> None:
    start = clock.now_ms()
    sweep = queue.schedule("expire-offers", every_ms=60_000, payload={"batch": 100})
    assert (sweep.next_run_ms, sweep.payload) == (start + 60_000, {"batch": 100})
    assert queue.claim(lease_ms=LEASE) == []
    clock.advance(ms=59_999)
    assert queue.claim(lease_ms=LEASE) == []

    clock.advance(ms=1)
    (tick,) = queue.claim(lease_ms=LEASE)
    assert (tick.job.name, tick.job.payload, tick.job.run_at_ms) == (
        "expire-offers",
        {"batch": 100},
        start + 60_000,
    )
    queue.complete(tick)
    assert queue.claim(lease_ms=LEASE) == []

    clock.advance(ms=60_000)
    (tick,) = queue.claim(lease_ms=LEASE)
    assert tick.job.run_at_ms == start + 120_000
    queue.complete(tick)

    clock.advance(ms=10 * 60_000 + 5)  # down for ten intervals: one tick, grid kept
    (tick,) = queue.claim(lease_ms=LEASE, limit=10)
    assert tick.job.run_at_ms == start + 180_000
    assert [s.next_run_ms for s in queue.sweeps()] == [start + 13 * 60_000]


def test_scheduling_again_keeps_the_next_run(queue: JobQueue, clock: FakeClock) -> None:
    start = clock.now_ms()
    queue.schedule("expire-offers", every_ms=60_000)
    clock.advance(ms=30_000)
    again = queue.schedule("expire-offers", every_ms=10_000, payload={"v": 2})
    assert (again.next_run_ms, again.every_ms) == (start + 60_000, 10_000)
    queue.schedule("audit", every_ms=5_000)
    assert [(s.name, s.every_ms, s.payload) for s in queue.sweeps()] == [
        ("audit", 5_000, {}),
        ("expire-offers", 10_000, {"v": 2}),
    ]

    assert queue.unschedule("audit")
    assert not queue.unschedule("audit")
    clock.advance(ms=30_000)
    (tick,) = queue.claim(lease_ms=LEASE, limit=10)
    assert (tick.job.name, tick.job.payload) == ("expire-offers", {"v": 2})
    assert [s.next_run_ms for s in queue.sweeps()] == [start + 70_000]


def test_two_queues_fire_a_tick_once(backend: QueueBackend, clock: FakeClock) -> None:
    one, two = backend.open(), backend.open()
    one.schedule("audit", every_ms=1_000)
    two.schedule("audit", every_ms=1_000)
    clock.advance(ms=1_000)
    assert len(one.claim(lease_ms=LEASE, limit=5)) == 1
    assert two.claim(lease_ms=LEASE, limit=5) == []


def test_concurrent_claimers_never_share_a_job(backend: QueueBackend) -> None:
    ids = {backend.open().enqueue("j", {"i": i}).id for i in range(120)}
    claimed: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def claimer() -> None:
        queue = backend.open()  # its own connection, as another process would have
        try:
            while leases := queue.claim(lease_ms=LEASE, limit=3):
                with lock:
                    claimed.extend(lease.job.id for lease in leases)
                for lease in leases:
                    queue.complete(lease)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=claimer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(claimed) == sorted(ids)
    assert backend.open().statistics()["done"] == 120


def test_jobs_survive_reopening(backend: QueueBackend, clock: FakeClock) -> None:
    if not backend.persistent:
        pytest.skip("the inline queue keeps nothing across processes, by design")
    first = backend.open()
    job = first.enqueue("settle", {"c": 1}, key="k", run_at_ms=clock.now_ms() + 10)
    first.schedule("audit", every_ms=1_000)
    first.close()

    reopened = backend.open()
    clock.advance(ms=1_000)
    leases = reopened.claim(lease_ms=LEASE, limit=5)
    assert [lease.job.name for lease in leases] == ["settle", "audit"]
    assert leases[0].job.id == job.id
    assert reopened.enqueue("settle", {}, key="k").id == job.id


def test_a_closed_queue_refuses_work(backend: QueueBackend) -> None:
    queue = backend.open()
    queue.close()
    with pytest.raises(QueueError):
        queue.enqueue("j", {})
    with pytest.raises(QueueError):
        queue.claim(lease_ms=LEASE)
