"""Jobs in worker threads: at most ``concurrency`` at a time, each within its time limit.

The agent's loop hands a job in with :meth:`Jobs.start` and collects outcomes with
:meth:`Jobs.done`, so publishing and releasing stay on the loop's thread. A job past
its limit is reported failed at once; its thread cannot be stopped and finishes
unheard (its worker slot stays busy until then, which is the concurrency bound
doing its job). A job that raises fails with its message as the reason.
"""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from plaza.services.provider.sdk import JobFailed, Service

__all__ = ["Jobs", "Outcome"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    """A job's end: its result as JSON bytes, or the reason it failed."""

    result: bytes | None = None
    failure: str = ""


class Jobs:
    """The running jobs of one service, keyed by hold id."""

    def __init__(self, service: Service) -> None:
        self._service = service
        self._pool = ThreadPoolExecutor(service.concurrency, thread_name_prefix=service.name)
        self._running: dict[bytes, tuple[Future[Any], float]] = {}

    def __len__(self) -> int:
        return len(self._running)

    @property
    def full(self) -> bool:
        return len(self._running) >= self._service.concurrency

    def running(self, hold_id: bytes) -> bool:
        return hold_id in self._running

    def start(self, hold_id: bytes, job: Any) -> None:
        if hold_id not in self._running:
            future = self._pool.submit(self._service, job)
            self._running[hold_id] = (future, time.monotonic() + self._service.limit_s)

    def done(self) -> list[tuple[bytes, Outcome]]:
        """The jobs that ended or ran out of time since the last call, and how."""
        now, ended = time.monotonic(), []
        for hold_id, (future, limit) in list(self._running.items()):
            if future.done():
                ended.append((hold_id, _outcome(future)))
            elif now >= limit:
                future.cancel()
                reason = f"the job did not finish within {self._service.limit_s:g} s"
                ended.append((hold_id, Outcome(failure=reason)))
            else:
                continue
            del self._running[hold_id]
        return ended

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _outcome(future: Future[Any]) -> Outcome:
    error = future.exception()
    if isinstance(error, JobFailed):
        return Outcome(failure=str(error) or "the job failed")
    if error is not None:
        log.warning("a job raised %r", error)
        return Outcome(failure=f"the job failed: {type(error).__name__}: {error}")
    try:
        encoded = json.dumps(future.result(), separators=(",", ":")).encode()
    except (TypeError, ValueError) as problem:
        return Outcome(failure=f"the job's result is not JSON: {problem}")
    return Outcome(result=encoded)
