"""The worker: claims due jobs and runs each through the handler for its name.

Handlers must be idempotent. Delivery is at least once: a worker that dies
mid-job, or a handler that outlives its lease, means the job runs again, and a
handler that succeeded but whose ``complete`` was lost runs again too. Make the
second run a no-op (check the stored state first, pass the job's key on as an
idempotency key, upsert rather than insert).

Naming (as in the rest of Plaza): every method here blocks; run :meth:`Worker.run`
on a thread of its own, or call :meth:`Worker.run_until_idle` where a test or
the embedded demo wants jobs done before it goes on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from plaza.jobs.errors import LeaseLost, PermanentFailure, QueueError
from plaza.jobs.model import JobState, Lease
from plaza.jobs.ports import Handler, JobQueue

__all__ = ["Worker"]

log = logging.getLogger(__name__)


class Worker:
    """Runs jobs from ``queue`` through ``handlers`` (job name -> handler).

    A job with no handler fails like any other (and is retried), so a job
    enqueued by a newer release waits for a worker that knows it rather than
    being lost; once out of attempts it sits in the dead letters.
    """

    def __init__(
        self,
        queue: JobQueue,
        handlers: Mapping[str, Handler],
        *,
        lease_ms: int = 60_000,
        batch: int = 1,
    ) -> None:
        self._queue = queue
        self._handlers = dict(handlers)
        self._lease_ms = lease_ms
        self._batch = batch
        self._draining = threading.local()
        self._counts = {"completed": 0, "retried": 0, "dead": 0, "lost_leases": 0}
        self._counts_lock = threading.Lock()

    def run_once(self) -> int:
        """Claim up to ``batch`` due jobs and run them; how many were claimed."""
        leases = self._queue.claim(lease_ms=self._lease_ms, limit=self._batch)
        for lease in leases:
            self._execute(lease)
        return len(leases)

    def run_until_idle(self, *, max_jobs: int = 10_000) -> int:
        """Run due jobs until none is left (or ``max_jobs``); how many ran.

        Not re-entrant on one thread: a handler that enqueues, with the inline
        queue's ``on_enqueue`` calling back here, returns at once and the outer
        loop runs the new job next.
        """
        if getattr(self._draining, "active", False):
            return 0
        self._draining.active = True
        try:
            done = 0
            while done < max_jobs and (claimed := self.run_once()):
                done += claimed
            return done
        finally:
            self._draining.active = False

    def run(self, stop: threading.Event, *, poll_s: float = 0.5) -> None:
        """Work until ``stop`` is set, waiting ``poll_s`` (real time) whenever idle.

        A backend outage (:class:`QueueError`) is logged and waited out, not fatal:
        a job whose outcome could not be recorded runs again once its lease expires.
        """
        while not stop.is_set():
            try:
                claimed = self.run_once()
            except QueueError as error:
                log.warning("job queue unavailable, retrying in %s s: %s", poll_s, error)
                claimed = 0
            if claimed == 0:
                stop.wait(poll_s)

    def _execute(self, lease: Lease) -> None:
        job = lease.job
        handler = self._handlers.get(job.name)
        try:
            if handler is None:
                self._fail(lease, f"no handler for job name {job.name!r}", retry=True)
                return
            try:
                handler(job.payload)
            except PermanentFailure as error:
                self._fail(lease, f"{type(error).__name__}: {error}", retry=False)
            except Exception as error:
                self._fail(lease, f"{type(error).__name__}: {error}", retry=True)
            else:
                self._queue.complete(lease)
                self._count("completed")
        except LeaseLost:
            # Another worker holds the job now and will report its own outcome.
            log.warning("job %s (%s): lease lost before reporting", job.id, job.name)
            self._count("lost_leases")

    def _fail(self, lease: Lease, error: str, *, retry: bool) -> None:
        """Record the failure; the payload is never logged (it may name a secret's owner)."""
        after = self._queue.fail(lease, error, retry=retry)
        job = lease.job
        if after.state is JobState.DEAD:
            log.error(
                "job %s (%s) dead after %d attempts: %s", job.id, job.name, job.attempts, error
            )
            self._count("dead")
        else:
            log.info(
                "job %s (%s) attempt %d failed, retrying: %s", job.id, job.name, job.attempts, error
            )
            self._count("retried")

    def _count(self, what: str) -> None:
        with self._counts_lock:
            self._counts[what] += 1

    def statistics(self) -> dict[str, int]:
        """Outcomes this worker reported since it started."""
        with self._counts_lock:
            return dict(self._counts)
