"""The specification of a durable job queue: what every adapter promises.

Delivery is at least once. A job is claimed under a lease; if its worker dies,
the lease expires and the next claim hands the job out again. Handlers must
therefore be idempotent: running one twice for the same payload must leave the
world as running it once (check-then-act on a stored state, idempotency keys
passed on to other services, upserts instead of inserts).

Every time comes from the injected :class:`Clock`, never from the wall clock
or the backend's (Redis ``TIME``), so tests move deadlines with a fake clock.
Adapters: :class:`~plaza.jobs.inline.InlineQueue` (memory, the reference),
:class:`~plaza.jobs.sqlite.SqliteQueue`, :class:`~plaza.jobs.redis.RedisQueue`;
``tests/contract/test_job_queue.py`` runs one suite against all three.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from plaza.clock import Clock
from plaza.jobs.model import Job, Lease, Sweep

__all__ = ["Clock", "Handler", "JobQueue"]

#: Runs one job, given its payload. Raising retries it (with backoff);
#: raising :class:`~plaza.jobs.errors.PermanentFailure` dead-letters it at once.
Handler = Callable[[dict[str, Any]], None]


class JobQueue(Protocol):
    """Durable jobs with leases, retries, dead letters and periodic sweeps.

    Every method is atomic, and safe to call from several threads and, for the
    SQLite and Redis adapters, several processes on the same storage.
    """

    def enqueue(
        self,
        name: str,
        payload: Mapping[str, object],
        *,
        key: str | None = None,
        run_at_ms: int | None = None,
        max_attempts: int | None = None,
    ) -> Job:
        """Store a job due at ``run_at_ms`` (default: now) and return it.

        With a ``key``, a second enqueue under the same key - whatever its state,
        even done - stores nothing and returns the first job: the work runs once.
        ``max_attempts`` overrides the queue's retry policy for this job.
        """
        ...

    def claim(self, *, lease_ms: int, limit: int = 1) -> list[Lease]:
        """Lease up to ``limit`` due jobs, earliest run-at first (ties: enqueue order).

        Due are pending jobs whose run-at has come and running jobs whose lease
        has expired. Each claim counts an attempt; a job whose lease expired on
        its last attempt is dead-lettered instead of handed out again. Periodic
        sweeps that have come due are enqueued first. No two claims, from any
        thread or process, get the same job while its lease lasts.
        """
        ...

    def complete(self, lease: Lease) -> None:
        """Mark the job done; :class:`~plaza.jobs.errors.LeaseLost` if no longer held."""
        ...

    def fail(self, lease: Lease, error: str, *, retry: bool = True) -> Job:
        """Record a failed attempt: back off and retry, or dead-letter if out of attempts.

        ``retry=False`` dead-letters at once. Raises
        :class:`~plaza.jobs.errors.LeaseLost` if the lease is no longer held.
        """
        ...

    def schedule(
        self, name: str, *, every_ms: int, payload: Mapping[str, object] | None = None
    ) -> Sweep:
        """Register a periodic sweep: a ``name`` job every ``every_ms``, the first one interval on.

        Registering a known name again keeps its next run (so restarts more
        frequent than the interval still let it fire) and updates the interval
        and payload from then on.
        """
        ...

    def unschedule(self, name: str) -> bool:
        """Stop a sweep; ``False`` if none had that name. Jobs already enqueued still run."""
        ...

    def sweeps(self) -> list[Sweep]:
        """The registered sweeps, by name."""
        ...

    def get(self, job_id: str) -> Job | None:
        """The job, in whatever state it is."""
        ...

    def dead_letters(self, *, limit: int = 100) -> list[Job]:
        """Dead jobs, oldest death first, for an operator to inspect or :meth:`requeue`."""
        ...

    def requeue(self, job_id: str) -> Job:
        """Give a dead job a fresh set of attempts, due now; :class:`JobNotFound` if not dead."""
        ...

    def statistics(self) -> dict[str, int]:
        """Jobs per state: ``pending``, ``running``, ``done``, ``dead``."""
        ...

    def close(self) -> None:
        """Release connections; the queue is unusable afterwards."""
        ...
