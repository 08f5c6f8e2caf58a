"""Durable background jobs with retries and periodic sweeps: inline, SQLite and Redis adapters.

``ports.JobQueue`` is the specification; :class:`InlineQueue` (memory),
:class:`SqliteQueue` (one file, several processes) and :class:`RedisQueue`
(many hosts) implement it and pass one contract suite. :class:`Worker` runs
claimed jobs through idempotent handlers. Delivery is at least once; all time
comes from an injected clock.

This face exports the port, the model, the inline queue and the worker; the
driver-backed adapters are imported from their modules
(:mod:`plaza.jobs.sqlite`, :mod:`plaza.jobs.redis`) by the composition root.
"""

from plaza.jobs.errors import (
    InvalidJob,
    JobError,
    JobNotFound,
    LeaseLost,
    PermanentFailure,
    QueueError,
)
from plaza.jobs.inline import InlineQueue
from plaza.jobs.model import Job, JobState, JsonObject, Lease, RetryPolicy, Sweep
from plaza.jobs.ports import Clock, Handler, JobQueue
from plaza.jobs.worker import Worker

__all__ = [
    "Clock",
    "Handler",
    "InlineQueue",
    "InvalidJob",
    "Job",
    "JobError",
    "JobNotFound",
    "JobQueue",
    "JobState",
    "JsonObject",
    "Lease",
    "LeaseLost",
    "PermanentFailure",
    "QueueError",
    "RetryPolicy",
    "Sweep",
    "Worker",
]
