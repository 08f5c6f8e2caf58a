"""A lock that holds across the processes of one machine as well as across threads.

Several worker processes of one marketplace share its data directory, and what a
vertical keeps in a file there (the telco vertical's product orders) is read, changed
and written back as one step. A :class:`FileLock` serialises those steps among all the
processes: a ``flock`` on a file beside the data, taken by the outermost holder in this
process and released by it, with a reentrant thread lock in front. The kernel drops a
``flock`` when its process dies, so a killed worker never leaves the others waiting.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from types import TracebackType

__all__ = ["FileLock"]


class FileLock:
    """Reentrant within a process (like :class:`threading.RLock`), exclusive among processes."""

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    def __enter__(self) -> FileLock:
        self._thread_lock.acquire()
        try:
            if self._depth == 0:
                fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except BaseException:
                    os.close(fd)
                    raise
                self._fd = fd
            self._depth += 1
        except BaseException:
            self._thread_lock.release()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            self._depth -= 1
            if self._depth == 0 and self._fd is not None:
                fd, self._fd = self._fd, None
                os.close(fd)  # closing the last descriptor releases the flock
        finally:
            self._thread_lock.release()
