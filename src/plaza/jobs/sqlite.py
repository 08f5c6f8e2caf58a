"""The durable job queue for a single machine: one SQLite file in WAL mode.

Several processes may open the same file (a web process enqueuing, a worker
process claiming). Each :class:`SqliteQueue` holds one
:class:`plaza.sqlite.SqliteFile` (one connection behind a lock); every write is
one ``BEGIN IMMEDIATE`` transaction, which takes SQLite's write lock up front,
so two claimers - threads or processes - serialise and never lease the same
row. A commit is in the WAL before ``COMMIT`` returns, so a killed process loses
nothing it had enqueued, and a job it had claimed comes back when its lease
expires. Payloads are stored as they were given (a queued letter's body, in the
clear), so the file and its WAL files are 0600 in folders made 0700.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

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
from plaza.sqlite import SqliteFile

__all__ = ["SqliteQueue"]

_BUSY_TIMEOUT_MS = 10_000

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS jobs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        payload TEXT NOT NULL,
        key TEXT UNIQUE,
        state TEXT NOT NULL,
        run_at_ms INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        last_error TEXT,
        lease_token TEXT,
        lease_until_ms INTEGER,
        finished_ms INTEGER
    )""",
    "CREATE INDEX IF NOT EXISTS jobs_due ON jobs (state, run_at_ms, seq)",
    "CREATE INDEX IF NOT EXISTS jobs_leases ON jobs (state, lease_until_ms)",
    "CREATE INDEX IF NOT EXISTS jobs_dead ON jobs (state, finished_ms, seq)",
    """CREATE TABLE IF NOT EXISTS sweeps (
        name TEXT PRIMARY KEY,
        every_ms INTEGER NOT NULL,
        payload TEXT NOT NULL,
        next_run_ms INTEGER NOT NULL
    )""",
)

_BY_ID = """SELECT id, name, payload, key, state, run_at_ms, attempts, max_attempts, last_error
    FROM jobs WHERE id = ?"""

_BY_KEY = """SELECT id, name, payload, key, state, run_at_ms, attempts, max_attempts, last_error
    FROM jobs WHERE key = ?"""

_HELD = """SELECT id, name, payload, key, state, run_at_ms, attempts, max_attempts, last_error
    FROM jobs WHERE id = ? AND lease_token = ? AND state = 'running'"""

_DEAD = """SELECT id, name, payload, key, state, run_at_ms, attempts, max_attempts, last_error
    FROM jobs WHERE state = 'dead' ORDER BY finished_ms, seq LIMIT ?"""

_DUE = """SELECT id, name, payload, key, state, run_at_ms, attempts, max_attempts, last_error
    FROM jobs
    WHERE (state = 'pending' AND run_at_ms <= :now)
       OR (state = 'running' AND lease_until_ms <= :now)
    ORDER BY run_at_ms, seq LIMIT :limit"""

_BURY_EXPIRED = """UPDATE jobs SET state = 'dead', lease_token = NULL, finished_ms = :now,
        last_error = 'lease expired on attempt ' || attempts
    WHERE state = 'running' AND lease_until_ms <= :now AND attempts >= max_attempts"""


def _job(row: tuple[Any, ...]) -> Job:
    job_id, name, payload, key, state, run_at, attempts, max_attempts, error = row
    return Job(
        job_id,
        name,
        decode_payload(payload),
        key,
        JobState(state),
        run_at,
        attempts,
        max_attempts,
        error,
    )


class SqliteQueue:
    """A :class:`~plaza.jobs.ports.JobQueue` in the SQLite file at ``path``."""

    def __init__(
        self, path: str | Path, clock: Clock, *, policy: RetryPolicy | None = None
    ) -> None:
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._db = SqliteFile(
            path,
            _SCHEMA,
            error=QueueError,
            label="queue",
            busy_timeout_ms=_BUSY_TIMEOUT_MS,
        )

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
        with self._db.cursor(write=True) as cur:
            run_at = self._clock.now_ms() if run_at_ms is None else run_at_ms
            return self._insert(cur, name, text, key=key, run_at=run_at, attempts=attempts)

    @staticmethod
    def _insert(
        cur: sqlite3.Cursor, name: str, text: str, *, key: str | None, run_at: int, attempts: int
    ) -> Job:
        job_id = new_token()
        cur.execute(
            "INSERT INTO jobs (id, name, payload, key, state, run_at_ms, max_attempts)"
            " VALUES (?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (key) DO NOTHING",
            (job_id, name, text, key, run_at, attempts),
        )
        if key is not None:
            cur.execute(_BY_KEY, (key,))
        else:
            cur.execute(_BY_ID, (job_id,))
        return _job(cur.fetchone())

    def claim(self, *, lease_ms: int, limit: int = 1) -> list[Lease]:
        check_interval(lease_ms, "lease_ms")
        check_interval(limit, "limit")
        with self._db.cursor(write=True) as cur:
            now = self._clock.now_ms()
            self._fire_sweeps(cur, now)
            cur.execute(_BURY_EXPIRED, {"now": now})
            cur.execute(_DUE, {"now": now, "limit": limit})
            leases = []
            for row in cur.fetchall():
                job = _job(row)
                running = replace(job, state=JobState.RUNNING, attempts=job.attempts + 1)
                lease = Lease(running, new_token(), now + lease_ms)
                cur.execute(
                    "UPDATE jobs SET state = 'running', attempts = attempts + 1,"
                    " lease_token = ?, lease_until_ms = ? WHERE id = ?",
                    (lease.token, lease.expires_ms, job.id),
                )
                leases.append(lease)
            return leases

    def _fire_sweeps(self, cur: sqlite3.Cursor, now: int) -> None:
        cur.execute(
            "SELECT name, every_ms, payload, next_run_ms FROM sweeps WHERE next_run_ms <= ?", (now,)
        )
        for name, every_ms, payload, due in cur.fetchall():
            key = sweep_key(name, due)
            attempts = self._policy.max_attempts
            self._insert(cur, name, payload, key=key, run_at=due, attempts=attempts)
            cur.execute(
                "UPDATE sweeps SET next_run_ms = ? WHERE name = ?",
                (next_slot(due, every_ms, now), name),
            )

    def complete(self, lease: Lease) -> None:
        with self._db.cursor(write=True) as cur:
            cur.execute(
                "UPDATE jobs SET state = 'done', lease_token = NULL, finished_ms = ?"
                " WHERE id = ? AND lease_token = ? AND state = 'running'",
                (self._clock.now_ms(), lease.job.id, lease.token),
            )
            if cur.rowcount != 1:
                raise LeaseLost(lease.job.id)

    def fail(self, lease: Lease, error: str, *, retry: bool = True) -> Job:
        with self._db.cursor(write=True) as cur:
            now = self._clock.now_ms()
            cur.execute(_HELD, (lease.job.id, lease.token))
            row = cur.fetchone()
            if row is None:
                raise LeaseLost(lease.job.id)
            retry_at = self._policy.retry_at_ms(_job(row), now) if retry else None
            if retry_at is None:
                cur.execute(
                    "UPDATE jobs SET state = 'dead', lease_token = NULL, finished_ms = ?,"
                    " last_error = ? WHERE id = ?",
                    (now, clip_error(error), lease.job.id),
                )
            else:
                cur.execute(
                    "UPDATE jobs SET state = 'pending', lease_token = NULL, run_at_ms = ?,"
                    " last_error = ? WHERE id = ?",
                    (retry_at, clip_error(error), lease.job.id),
                )
            return self._get(cur, lease.job.id)

    @staticmethod
    def _get(cur: sqlite3.Cursor, job_id: str) -> Job:
        cur.execute(_BY_ID, (job_id,))
        return _job(cur.fetchone())

    def schedule(
        self, name: str, *, every_ms: int, payload: Mapping[str, object] | None = None
    ) -> Sweep:
        check_name(name)
        check_interval(every_ms, "every_ms")
        text = encode_payload(payload or {})
        with self._db.cursor(write=True) as cur:
            cur.execute(
                "INSERT INTO sweeps (name, every_ms, payload, next_run_ms) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET every_ms = excluded.every_ms,"
                " payload = excluded.payload",
                (name, every_ms, text, self._clock.now_ms() + every_ms),
            )
            cur.execute("SELECT next_run_ms FROM sweeps WHERE name = ?", (name,))
            (next_run,) = cur.fetchone()
        return Sweep(name, every_ms, decode_payload(text), next_run)

    def unschedule(self, name: str) -> bool:
        with self._db.cursor(write=True) as cur:
            cur.execute("DELETE FROM sweeps WHERE name = ?", (name,))
            return cur.rowcount == 1

    def sweeps(self) -> list[Sweep]:
        with self._db.cursor() as cur:
            cur.execute("SELECT name, every_ms, payload, next_run_ms FROM sweeps ORDER BY name")
            rows = cur.fetchall()
        return [Sweep(name, every, decode_payload(p), due) for name, every, p, due in rows]

    def get(self, job_id: str) -> Job | None:
        with self._db.cursor() as cur:
            cur.execute(_BY_ID, (job_id,))
            row = cur.fetchone()
        return None if row is None else _job(row)

    def dead_letters(self, *, limit: int = 100) -> list[Job]:
        check_interval(limit, "limit")
        with self._db.cursor() as cur:
            cur.execute(_DEAD, (limit,))
            return [_job(row) for row in cur.fetchall()]

    def requeue(self, job_id: str) -> Job:
        with self._db.cursor(write=True) as cur:
            cur.execute(
                "UPDATE jobs SET state = 'pending', attempts = 0, run_at_ms = ?, finished_ms = NULL"
                " WHERE id = ? AND state = 'dead'",
                (self._clock.now_ms(), job_id),
            )
            if cur.rowcount != 1:
                raise JobNotFound(job_id, JobState.DEAD)
            return self._get(cur, job_id)

    def statistics(self) -> dict[str, int]:
        with self._db.cursor() as cur:
            cur.execute("SELECT state, count(*) FROM jobs GROUP BY state")
            rows = cur.fetchall()
        counts = dict.fromkeys((s.value for s in JobState), 0)
        counts.update(dict(rows))
        return counts

    def close(self) -> None:
        """Close the connection (checkpointing the WAL); later calls raise :class:`QueueError`."""
        self._db.close()
