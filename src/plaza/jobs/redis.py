"""The job queue at scale: Redis, shared by any number of worker processes and hosts.

Each operation is one Lua script (see :mod:`plaza.jobs._redis_lua`), so it is
atomic on the server; pending jobs sit in a sorted set by run-at, leased jobs in
one by lease expiry, and a claim moves ids between them. Durability is Redis's:
run it with AOF (``appendonly yes``) where losing the last second of enqueues
on a crash of the Redis host matters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, cast

import redis

from plaza.jobs import _redis_lua as lua
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
)
from plaza.jobs.ports import Clock

__all__ = ["RedisQueue"]

_T = TypeVar("_T")

_SOCKET_TIMEOUT_S = 10


def _job(flat: list[str]) -> Job:
    """A job from ``HGETALL``'s flat ``[field, value, ...]`` list, as Lua returns it."""
    fields = dict(zip(flat[::2], flat[1::2], strict=True))
    return Job(
        id=fields["id"],
        name=fields["name"],
        payload=decode_payload(fields["payload"]),
        key=fields["key"] or None,
        state=JobState(fields["state"]),
        run_at_ms=int(fields["run_at"]),
        attempts=int(fields["attempts"]),
        max_attempts=int(fields["max_attempts"]),
        last_error=fields["error"] or None,
    )


class RedisQueue:
    """A :class:`~plaza.jobs.ports.JobQueue` under ``prefix`` in the Redis at ``url``.

    Queues with different prefixes on one server are independent.
    """

    def __init__(
        self,
        url: str,
        clock: Clock,
        *,
        prefix: str = "plaza:jobs",
        policy: RetryPolicy | None = None,
    ) -> None:
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._prefix = prefix
        self._client: redis.Redis | None = redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=_SOCKET_TIMEOUT_S
        )
        register = self._client.register_script
        self._enqueue, self._claim = register(lua.ENQUEUE), register(lua.CLAIM)
        self._complete, self._fail = register(lua.COMPLETE), register(lua.FAIL)
        self._requeue, self._schedule = register(lua.REQUEUE), register(lua.SCHEDULE)

    def _call(self, action: Callable[[redis.Redis], _T]) -> _T:
        """Run ``action`` on the client, translating driver errors to :class:`QueueError`."""
        if self._client is None:
            raise QueueError("the queue is closed")
        try:
            return action(self._client)
        except redis.RedisError as error:
            raise QueueError(f"Redis: {error}") from error

    def _script(self, script: Any, *args: object) -> Any:
        return self._call(lambda client: script(args=[self._prefix, *args], client=client))

    def _key(self, suffix: str) -> str:
        return f"{self._prefix}:{suffix}"

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
        run_at = self._clock.now_ms() if run_at_ms is None else run_at_ms
        return _job(self._script(self._enqueue, name, text, key or "", run_at, attempts))

    def claim(self, *, lease_ms: int, limit: int = 1) -> list[Lease]:
        check_interval(lease_ms, "lease_ms")
        check_interval(limit, "limit")
        now = self._clock.now_ms()
        expires = now + lease_ms
        token = new_token()
        rows = self._script(self._claim, now, expires, limit, token, self._policy.max_attempts)
        return [Lease(_job(row), f"{token}:{i}", expires) for i, row in enumerate(rows, 1)]

    def complete(self, lease: Lease) -> None:
        if self._script(self._complete, lease.job.id, lease.token) is None:
            raise LeaseLost(lease.job.id)

    def fail(self, lease: Lease, error: str, *, retry: bool = True) -> Job:
        now = self._clock.now_ms()
        retry_at = self._policy.retry_at_ms(lease.job, now) if retry else None
        args = (lease.job.id, lease.token, now, clip_error(error), retry_at or "")
        row = self._script(self._fail, *args)
        if row is None:
            raise LeaseLost(lease.job.id)
        return _job(row)

    def schedule(
        self, name: str, *, every_ms: int, payload: Mapping[str, object] | None = None
    ) -> Sweep:
        check_name(name)
        check_interval(every_ms, "every_ms")
        text = encode_payload(payload or {})
        first = self._clock.now_ms() + every_ms
        next_run = self._script(self._schedule, name, every_ms, text, first)
        return Sweep(name, every_ms, decode_payload(text), int(float(next_run)))

    def unschedule(self, name: str) -> bool:
        def remove(client: redis.Redis) -> list[int]:
            pipe = client.pipeline(transaction=True)
            pipe.zrem(self._key("sweep_next"), name)
            pipe.hdel(self._key("sweeps"), name)
            pipe.hdel(self._key("sweep_payloads"), name)
            return pipe.execute()

        return self._call(remove)[0] == 1

    def sweeps(self) -> list[Sweep]:
        def read(client: redis.Redis) -> list[Any]:
            pipe = client.pipeline(transaction=True)
            pipe.zrange(self._key("sweep_next"), 0, -1, withscores=True)
            pipe.hgetall(self._key("sweeps"))
            pipe.hgetall(self._key("sweep_payloads"))
            return pipe.execute()

        nexts, intervals, payloads = self._call(read)
        return sorted(
            (
                Sweep(name, int(intervals[name]), decode_payload(payloads[name]), int(due))
                for name, due in nexts
            ),
            key=lambda sweep: sweep.name,
        )

    def get(self, job_id: str) -> Job | None:
        fields = self._call(lambda client: client.hgetall(self._key(f"job:{job_id}")))
        return _job(_flatten(cast("dict[str, str]", fields).items())) if fields else None

    def dead_letters(self, *, limit: int = 100) -> list[Job]:
        check_interval(limit, "limit")
        ids = cast(
            "list[str]", self._call(lambda client: client.zrange(self._key("dead"), 0, limit - 1))
        )

        def read(client: redis.Redis) -> list[dict[str, str]]:
            pipe = client.pipeline(transaction=False)
            for job_id in ids:
                pipe.hgetall(self._key(f"job:{job_id}"))
            return pipe.execute()

        return [_job(_flatten(fields.items())) for fields in self._call(read)]

    def requeue(self, job_id: str) -> Job:
        row = self._script(self._requeue, job_id, self._clock.now_ms())
        if row is None:
            raise JobNotFound(job_id, JobState.DEAD)
        return _job(row)

    def statistics(self) -> dict[str, int]:
        def read(client: redis.Redis) -> list[Any]:
            pipe = client.pipeline(transaction=True)
            for state in ("ready", "leased", "dead"):
                pipe.zcard(self._key(state))
            pipe.hget(self._key("counts"), "done")
            return pipe.execute()

        pending, running, dead, done = self._call(read)
        return {"pending": pending, "running": running, "done": int(done or 0), "dead": dead}

    def close(self) -> None:
        """Close the connection pool; later calls raise :class:`QueueError`."""
        client, self._client = self._client, None
        if client is not None:
            client.close()


def _flatten(items: Iterable[tuple[str, str]]) -> list[str]:
    return [part for item in items for part in item]
