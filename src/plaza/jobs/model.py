"""The values a job queue stores and hands out, and the rules every adapter shares.

The rules (backoff, sweep slots, payload encoding) live here, once, so the
inline, SQLite and Redis adapters cannot drift apart; the contract suite checks
that they do not.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from plaza.jobs.errors import InvalidJob

__all__ = [
    "Job",
    "JobState",
    "JsonObject",
    "Lease",
    "RetryPolicy",
    "Sweep",
    "check_interval",
    "check_name",
    "clip_error",
    "decode_payload",
    "encode_payload",
    "new_token",
    "next_slot",
    "sweep_key",
]

#: A decoded JSON object: what a handler receives.
JsonObject = dict[str, Any]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}")

#: 2**62 ms is longer than any cap: past it the delay grows no more.
_MAX_EXPONENT = 62

#: Error texts are kept for operators; a stack dump of megabytes is not.
_ERROR_LIMIT = 1000


class JobState(StrEnum):
    PENDING = "pending"  # waiting for its run-at time, or due
    RUNNING = "running"  # leased to a worker until the lease expires
    DONE = "done"
    DEAD = "dead"  # out of attempts, or failed permanently: waits for an operator


@dataclass(frozen=True, slots=True)
class Job:
    """A job as stored. ``attempts`` counts claims, so a crashed attempt counts too."""

    id: str
    name: str
    payload: JsonObject
    key: str | None
    state: JobState
    run_at_ms: int
    attempts: int
    max_attempts: int
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class Lease:
    """A claimed job. Only the holder of ``token`` may complete or fail it."""

    job: Job
    token: str
    expires_ms: int


@dataclass(frozen=True, slots=True)
class Sweep:
    """A periodic job: enqueued as ``name`` every ``every_ms``, first at ``next_run_ms``."""

    name: str
    every_ms: int
    payload: JsonObject
    next_run_ms: int


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff: ``base_delay_ms * factor**(attempt - 1)``, capped.

    No jitter: delays must be exact for fake-clock tests, and workers claim by
    run-at time from one shared queue, so retries do not arrive in lockstep the
    way independent clients' would.
    """

    max_attempts: int = 5
    base_delay_ms: int = 1_000
    factor: int = 2
    max_delay_ms: int = 3_600_000

    def __post_init__(self) -> None:
        check_interval(self.max_attempts, "max_attempts")
        check_interval(self.base_delay_ms, "base_delay_ms")
        check_interval(self.factor, "factor")

    def delay_ms(self, attempts: int) -> int:
        """How long to wait after the ``attempts``-th attempt failed.

        The exponent stops growing once the delay is capped anyway, so a job retried
        without end (a letter to a peer that is still there) costs no huge integers.
        """
        growth: int = self.factor ** min(max(attempts - 1, 0), _MAX_EXPONENT)
        return min(self.max_delay_ms, self.base_delay_ms * growth)

    def admit(
        self, name: str, payload: Mapping[str, object], max_attempts: int | None
    ) -> tuple[str, int]:
        """Check a job to enqueue; its stored payload text and its attempt budget.

        Every adapter's ``enqueue`` starts here, so they refuse the same jobs alike.
        """
        check_name(name)
        attempts = self.max_attempts if max_attempts is None else max_attempts
        check_interval(attempts, "max_attempts")
        return encode_payload(payload), attempts

    def retry_at_ms(self, job: Job, now_ms: int) -> int | None:
        """When a job that just failed runs again, or ``None`` if it is out of attempts."""
        if job.attempts >= job.max_attempts:
            return None
        return now_ms + self.delay_ms(job.attempts)


def check_name(name: str) -> None:
    """Names become Redis key parts and log fields: keep them short and plain."""
    if not _NAME.fullmatch(name):
        raise InvalidJob(f"name {name!r} must match {_NAME.pattern}")


def check_interval(value: int, what: str) -> None:
    if value < 1:
        raise InvalidJob(f"{what} must be at least 1, got {value}")


def encode_payload(payload: Mapping[str, object]) -> str:
    """Canonical JSON: every adapter stores text, so every handler sees the same values."""
    try:
        return json.dumps(dict(payload), sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidJob(f"payload is not JSON: {error}") from error


def decode_payload(text: str) -> JsonObject:
    value = json.loads(text)
    assert isinstance(value, dict)
    return value


def next_slot(due_ms: int, every_ms: int, now_ms: int) -> int:
    """The first slot after ``now_ms`` on the grid ``due_ms + k * every_ms``.

    Missed ticks coalesce: a queue that was down for ten intervals fires once,
    then keeps to its original grid.
    """
    return due_ms + every_ms * ((now_ms - due_ms) // every_ms + 1)


def sweep_key(name: str, slot_ms: int) -> str:
    """The idempotency key of one tick, so two claimers firing it make one job."""
    return f"sweep:{name}:{slot_ms}"


def new_token() -> str:
    return uuid.uuid4().hex


def clip_error(error: str) -> str:
    return error if len(error) <= _ERROR_LIMIT else error[: _ERROR_LIMIT - 3] + "..."
