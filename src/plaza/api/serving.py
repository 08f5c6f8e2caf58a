"""Serve an app from a thread: for benchmarks and tests that need a real HTTP server.

The socket is bound before the server starts (port 0 picks a free one), so the
URL is known up front and no other process can take the port in between. The
server runs with its own event loop on a daemon thread, lifespan included, and
is stopped and joined on exit. ``plaza node run`` and ``plaza market run`` use
``uvicorn.run`` in the foreground instead.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Self

import uvicorn
from fastapi import FastAPI

__all__ = ["ThreadedServer", "bind_listener", "listener_url"]


def bind_listener(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A bound socket to serve on later: its URL is known before the app is built (services
    that must know each other's URLs bind all their sockets first)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        reason = error.strerror or str(error)
        raise OSError(error.errno, f"cannot listen on {host}:{port}: {reason}") from None
    return listener


def listener_url(listener: socket.socket) -> str:
    host, port = listener.getsockname()[:2]
    return f"http://{host}:{port}"


class ThreadedServer:
    """``with ThreadedServer(app) as server: httpx.get(server.url + "/health")``."""

    def __init__(
        self,
        app: FastAPI,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        startup_s: float = 10.0,
        listener: socket.socket | None = None,
    ) -> None:
        self._listener = listener if listener is not None else bind_listener(host, port)
        self.url = listener_url(self._listener)
        self._startup_s = startup_s
        config = uvicorn.Config(
            app,
            log_config=None,  # leave the host process's logging alone
            log_level="warning",
            access_log=False,
            ws="none",
            lifespan="on",
            timeout_graceful_shutdown=2,  # open event streams must not hold shutdown forever
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._listener]}, daemon=True
        )

    def __enter__(self) -> Self:
        self._thread.start()
        deadline = time.monotonic() + self._startup_s
        while not self._server.started:
            if not self._thread.is_alive():
                self._listener.close()
                raise RuntimeError("the server thread died during startup")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"the server at {self.url} did not start")
            time.sleep(0.01)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Ask the server to finish its requests and stop; wait for its thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._listener.close()
        if self._thread.is_alive():
            raise RuntimeError(f"the server at {self.url} did not stop")
