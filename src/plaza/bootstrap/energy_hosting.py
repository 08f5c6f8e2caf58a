"""One energy module served in this process: its HTTP server, its job worker, its cycle.

The embedded demo and the end-to-end tests run every module as its own service
(own listener, own database, own keys, own job queue) in one process, which is
what they would be on separate machines minus the network between them. A
:class:`Hosted` module binds its socket first, so every module's URL is known
before any module is built (the marketplace and the bid manager name each
other), then serves once :meth:`Hosted.start` is called.

Two ways to drive the background work: :meth:`Hosted.start` with ``threads``
runs the job worker and the periodic cycle on threads (the demo), while tests
on a fake clock call :meth:`Hosted.drain` and :meth:`Hosted.cycle` by hand, so
every step happens exactly when the test says.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Mapping
from typing import Generic, Protocol, TypeVar

from fastapi import FastAPI

from plaza.api.serving import ThreadedServer, bind_listener, listener_url
from plaza.jobs import Handler, JobQueue, Worker

__all__ = ["Hosted", "Service"]

log = logging.getLogger(__name__)


class Service(Protocol):
    """What every energy module's ``open_*`` returns."""

    app: FastAPI

    def handlers(self) -> Mapping[str, Handler]: ...

    def cycle(self) -> object: ...

    def close(self) -> None: ...


S = TypeVar("S", bound=Service)


class Hosted(Generic[S]):
    """A module, its server and its worker. Build the module with :meth:`build` after
    binding (``Hosted(name, queue)`` binds at once, so :attr:`url` is known)."""

    def __init__(self, name: str, queue: JobQueue, *, host: str = "127.0.0.1", port: int = 0):
        self.name = name
        self.queue = queue
        self._listener: socket.socket | None = bind_listener(host, port)
        self.url = listener_url(self._listener)
        self._service: S | None = None
        self._server: ThreadedServer | None = None
        self._worker: Worker | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def build(self, service: S) -> S:
        self._service = service
        self._worker = Worker(self.queue, service.handlers(), lease_ms=60_000, batch=10)
        return service

    @property
    def service(self) -> S:
        if self._service is None:
            raise RuntimeError(f"{self.name} is not built yet")
        return self._service

    def start(self, *, threads: bool, cycle_s: float = 1.0) -> None:
        """Serve; with ``threads``, also work jobs and run the cycle every ``cycle_s``."""
        assert self._listener is not None, "started twice"
        self._server = ThreadedServer(self.service.app, listener=self._listener)
        self._listener = None
        self._server.__enter__()
        if threads:
            self._spawn("jobs", self._work_jobs)
            self._spawn("cycle", lambda: self._cycle_every(cycle_s))

    def _spawn(self, what: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=f"{self.name}-{what}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _work_jobs(self) -> None:
        assert self._worker is not None
        self._worker.run(self._stop, poll_s=0.1)

    def _cycle_every(self, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            try:
                self.service.cycle()
            except Exception:  # one failed round must not stop the module; the next retries
                log.exception("%s: periodic cycle failed", self.name)

    def drain(self) -> int:
        """Run every due job now (tests on a fake clock); how many ran."""
        assert self._worker is not None
        return self._worker.run_until_idle()

    def cycle(self) -> None:
        self.service.cycle()

    def stop(self) -> None:
        """Stop the threads, the server, then close the module and its queue."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        if self._server is not None:
            self._server.stop()
        elif self._listener is not None:
            self._listener.close()
        if self._service is not None:
            self._service.close()
        self.queue.close()
