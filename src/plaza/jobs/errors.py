"""Why a job queue refused or failed something.

Adapters translate their driver's exceptions (``sqlite3``, ``redis``) into this
family, keeping the original as ``__cause__``, so callers never import a driver.

    JobError
    ├── QueueError          the backend could not do what was asked; a failed write
    │                       changed nothing
    ├── InvalidJob          the job cannot be stored: bad name, payload not JSON,
    │                       non-positive interval or attempts
    ├── JobNotFound         no job with that id (or not in the state asked for)
    ├── LeaseLost           the lease ended and the job went to another worker; the
    │                       holder's complete/fail is refused
    └── PermanentFailure    raised by a handler: do not retry, dead-letter now
"""

from __future__ import annotations

__all__ = ["InvalidJob", "JobError", "JobNotFound", "LeaseLost", "PermanentFailure", "QueueError"]


class JobError(Exception):
    """Base of every error the jobs package raises."""


class QueueError(JobError):
    """The queue's backend failed; nothing of a failed write is visible."""


class InvalidJob(JobError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid job: {reason}")
        self.reason = reason


class JobNotFound(JobError):
    def __init__(self, job_id: str, state: str | None = None) -> None:
        where = f" in state {state!r}" if state else ""
        super().__init__(f"no job {job_id!r}{where}")
        self.job_id = job_id
        self.state = state


class LeaseLost(JobError):
    """The lease expired and was taken by another claim, or the job already finished.

    Handlers are idempotent, so the work done under a lost lease is harmless; the
    new holder does it again and reports the outcome.
    """

    def __init__(self, job_id: str) -> None:
        super().__init__(f"lease on job {job_id!r} is no longer held")
        self.job_id = job_id


class PermanentFailure(JobError):
    """A handler's way to say retrying cannot help (malformed payload, rejected for good)."""
