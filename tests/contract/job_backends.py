"""Job queue backends for the contract suite: how to open one, and Redis reachability.

A module of its own (not ``conftest``) so the jobs and notify tests can share it.
Redis tests use a random key prefix each and delete it afterwards. When no server
answers they are skipped locally, but fail in CI (``CI=true``), where a skipped
Redis suite would silently pass.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
import redis

from plaza.jobs import JobQueue

__all__ = ["QueueBackend", "delete_prefix", "redis_url_or_skip"]

_DEFAULT_REDIS_URL = "redis://localhost:6379/0"


def redis_url_or_skip() -> str:
    """``PLAZA_TEST_REDIS_URL`` or the local default, if it answers; else skip (fail in CI)."""
    url = os.environ.get("PLAZA_TEST_REDIS_URL", _DEFAULT_REDIS_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        reason = f"Redis not reachable at {url}: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; in CI the Redis job queue tests must run")
        pytest.skip(reason)
    finally:
        client.close()
    return url


def delete_prefix(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


class QueueBackend:
    """Opens queues on one backend's storage, and closes them all at teardown.

    The inline queue has no storage apart from its object, so ``open`` hands out
    the same instance each time; SQLite and Redis open a new connection on the
    same data, as another process would.
    """

    def __init__(self, name: str, factory: Callable[[], JobQueue], *, persistent: bool) -> None:
        self.name = name
        self.persistent = persistent
        self._factory = factory
        self._opened: list[JobQueue] = []

    def open(self) -> JobQueue:
        if not self.persistent and self._opened:
            return self._opened[0]
        queue = self._factory()
        self._opened.append(queue)
        return queue

    def close_all(self) -> None:
        for queue in self._opened:
            queue.close()
