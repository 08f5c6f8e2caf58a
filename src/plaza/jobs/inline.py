"""The in-memory job queue: the reference adapter, for tests and the embedded demo.

Nothing survives the process. With :meth:`InlineQueue.on_enqueue` wired to a
:meth:`~plaza.jobs.worker.Worker.run_until_idle`, jobs run synchronously in the
enqueuing thread, which is what a single-process demo wants.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from plaza.jobs.errors import JobNotFound, LeaseLost, QueueError
from plaza.jobs.model import (
    Job,
    JobState,
    Lease,
    RetryPolicy,
    Sweep,
    check_interval,
    check_name,
    clip_error,
    decode_payload,
    encode_payload,
    new_token,
    next_slot,
    sweep_key,
)
from plaza.jobs.ports import Clock

__all__ = ["InlineQueue"]


@dataclass(slots=True)
class _Entry:
    job: Job
    seq: int
    token: str | None = None
    lease_until_ms: int = 0
    finished_ms: int = 0


class InlineQueue:
    """A :class:`~plaza.jobs.ports.JobQueue` in a dict, guarded by one lock."""

    def __init__(self, clock: Clock, *, policy: RetryPolicy | None = None) -> None:
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._lock = threading.Lock()
        self._jobs: dict[str, _Entry] = {}
        self._keys: dict[str, str] = {}
        self._sweeps: dict[str, Sweep] = {}
        self._seq = itertools.count(1)
        self._listener: Callable[[], object] | None = None
        self._closed = False

    def on_enqueue(self, listener: Callable[[], object] | None) -> None:
        """Call ``listener`` (outside the lock) after every enqueue; ``None`` stops it."""
        self._listener = listener

    def enqueue(
        self,
        name: str,
        payload: Mapping[str, object],
        *,
        key: str | None = None,
        run_at_ms: int | None = None,
        max_attempts: int | None = None,
    ) -> Job:
        text, attempts = self._policy.admit(name, payload, max_attempts)
        with self._lock:
            self._check_open()
            now = self._clock.now_ms()
            job = self._insert(name, text, key, now if run_at_ms is None else run_at_ms, attempts)
        if self._listener is not None:
            self._listener()
        return job

    def _insert(self, name: str, text: str, key: str | None, run_at: int, attempts: int) -> Job:
        if key is not None and key in self._keys:
            return self._jobs[self._keys[key]].job
        seq = next(self._seq)
        job = Job(
            id=f"{seq:016x}",
            name=name,
            payload=decode_payload(text),
            key=key,
            state=JobState.PENDING,
            run_at_ms=run_at,
            attempts=0,
            max_attempts=attempts,
        )
        self._jobs[job.id] = _Entry(job, seq)
        if key is not None:
            self._keys[key] = job.id
        return job

    def claim(self, *, lease_ms: int, limit: int = 1) -> list[Lease]:
        check_interval(lease_ms, "lease_ms")
        check_interval(limit, "limit")
        with self._lock:
            self._check_open()
            now = self._clock.now_ms()
            self._fire_sweeps(now)
            self._bury_expired(now)
            due = sorted(
                (e for e in self._jobs.values() if self._is_due(e, now)),
                key=lambda e: (e.job.run_at_ms, e.seq),
            )
            return [self._lease(entry, now + lease_ms) for entry in due[:limit]]

    @staticmethod
    def _is_due(entry: _Entry, now: int) -> bool:
        state = entry.job.state
        if state is JobState.PENDING:
            return entry.job.run_at_ms <= now
        return state is JobState.RUNNING and entry.lease_until_ms <= now

    def _bury_expired(self, now: int) -> None:
        """Dead-letter jobs whose lease expired on their last attempt (a poison job)."""
        for entry in self._jobs.values():
            job = entry.job
            expired = self._is_due(entry, now) and job.state is JobState.RUNNING
            if expired and job.attempts >= job.max_attempts:
                error = f"lease expired on attempt {job.attempts}"
                self._finish(entry, JobState.DEAD, now, error)

    def _lease(self, entry: _Entry, until_ms: int) -> Lease:
        entry.job = replace(entry.job, state=JobState.RUNNING, attempts=entry.job.attempts + 1)
        entry.token = new_token()
        entry.lease_until_ms = until_ms
        return Lease(entry.job, entry.token, until_ms)

    def _fire_sweeps(self, now: int) -> None:
        for sweep in list(self._sweeps.values()):
            if sweep.next_run_ms <= now:
                key = sweep_key(sweep.name, sweep.next_run_ms)
                text = encode_payload(sweep.payload)
                self._insert(sweep.name, text, key, sweep.next_run_ms, self._policy.max_attempts)
                upcoming = next_slot(sweep.next_run_ms, sweep.every_ms, now)
                self._sweeps[sweep.name] = replace(sweep, next_run_ms=upcoming)

    def complete(self, lease: Lease) -> None:
        with self._lock:
            entry = self._held(lease)
            self._finish(entry, JobState.DONE, self._clock.now_ms(), entry.job.last_error)

    def fail(self, lease: Lease, error: str, *, retry: bool = True) -> Job:
        with self._lock:
            entry = self._held(lease)
            now = self._clock.now_ms()
            retry_at = self._policy.retry_at_ms(entry.job, now) if retry else None
            if retry_at is None:
                self._finish(entry, JobState.DEAD, now, error)
            else:
                entry.job = replace(
                    entry.job,
                    state=JobState.PENDING,
                    run_at_ms=retry_at,
                    last_error=clip_error(error),
                )
                entry.token = None
            return entry.job

    def _held(self, lease: Lease) -> _Entry:
        self._check_open()
        entry = self._jobs.get(lease.job.id)
        if entry is None or entry.token != lease.token or entry.job.state is not JobState.RUNNING:
            raise LeaseLost(lease.job.id)
        return entry

    @staticmethod
    def _finish(entry: _Entry, state: JobState, now: int, error: str | None) -> None:
        error = None if error is None else clip_error(error)
        entry.job = replace(entry.job, state=state, last_error=error)
        entry.token = None
        entry.finished_ms = now

    def schedule(
        self, name: str, *, every_ms: int, payload: Mapping[str, object] | None = None
    ) -> Sweep:
        check_name(name)
        check_interval(every_ms, "every_ms")
        decoded = decode_payload(encode_payload(payload or {}))
        with self._lock:
            self._check_open()
            known = self._sweeps.get(name)
            first = known.next_run_ms if known else self._clock.now_ms() + every_ms
            sweep = Sweep(name, every_ms, decoded, first)
            self._sweeps[name] = sweep
            return sweep

    def unschedule(self, name: str) -> bool:
        with self._lock:
            self._check_open()
            return self._sweeps.pop(name, None) is not None

    def sweeps(self) -> list[Sweep]:
        with self._lock:
            self._check_open()
            return sorted(self._sweeps.values(), key=lambda s: s.name)

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            self._check_open()
            entry = self._jobs.get(job_id)
            return None if entry is None else entry.job

    def dead_letters(self, *, limit: int = 100) -> list[Job]:
        check_interval(limit, "limit")
        with self._lock:
            self._check_open()
            dead = [e for e in self._jobs.values() if e.job.state is JobState.DEAD]
            dead.sort(key=lambda e: (e.finished_ms, e.seq))
            return [e.job for e in dead[:limit]]

    def requeue(self, job_id: str) -> Job:
        with self._lock:
            self._check_open()
            entry = self._jobs.get(job_id)
            if entry is None or entry.job.state is not JobState.DEAD:
                raise JobNotFound(job_id, JobState.DEAD)
            now = self._clock.now_ms()
            entry.job = replace(entry.job, state=JobState.PENDING, run_at_ms=now, attempts=0)
            return entry.job

    def statistics(self) -> dict[str, int]:
        with self._lock:
            counts = dict.fromkeys((s.value for s in JobState), 0)
            for entry in self._jobs.values():
                counts[entry.job.state.value] += 1
            return counts

    def close(self) -> None:
        with self._lock:
            self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise QueueError("the queue is closed")
