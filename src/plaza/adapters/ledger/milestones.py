"""The node's latest milestone, followed on one event stream that many waiters share.

A hold, a balance or a confirmation changes only when a milestone is applied, so a
client waiting for one has nothing to learn from asking the node between two
milestones. Customers used to ask for their hold every 0.1 s: with 128 of them
that was 1,280 requests a second, most of the node's work, for a state that
changes once a second. A :class:`MilestoneWatch` reads ``/events?kinds=milestone``
on its own thread and wakes every waiter when a milestone comes, so each asks
once per milestone.

One watch serves every thread of a process (a node lets each client host open a
few streams only). The node publishes a milestone's event after committing it,
so a waiter that noted :meth:`~MilestoneWatch.wait_past`'s index *before* its
read and waits for a later one cannot miss the milestone that changed what it
read. While the stream is down (refused, cut, not yet open) waits last
``fallback_s``: the waiters poll as they did, and the watch reconnects every
``retry_s``.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Self

import httpx

from plaza.clients.node import ClientError, EventStreamReader, NodeClient

__all__ = ["MilestoneWatch"]

#: The longest :meth:`MilestoneWatch.start` waits for the stream to open.
_FIRST_OPEN_S = 15.0


class MilestoneWatch:
    """The latest milestone index a node announced, for threads waiting for the next.

    ``client`` is the watch's own (its stream holds one of its connections) and is
    closed with it. Use it as a context manager, or :meth:`start` and :meth:`close`.
    """

    def __init__(
        self,
        client: NodeClient,
        *,
        fallback_s: float = 0.1,
        retry_s: float = 2.0,
        read_timeout_s: float = 60.0,
    ) -> None:
        self._client = client
        self._fallback_s = fallback_s
        self._retry_s = retry_s
        self._read_timeout_s = read_timeout_s
        self._changed = threading.Condition()
        self._latest: int | None = None
        self._live = False
        self._stream: EventStreamReader | None = None
        self._stop = threading.Event()
        self._tried = threading.Event()  # the first opening of the stream answered or failed
        self._thread = threading.Thread(target=self._follow, name="milestone-watch", daemon=True)

    @property
    def live(self) -> bool:
        """Whether the stream is open: waits then end at a milestone, not at ``fallback_s``."""
        return self._live

    @property
    def latest(self) -> int | None:
        """The latest milestone index the stream brought (None before the first)."""
        return self._latest

    def wait_past(self, seen: int | None, *, timeout_s: float) -> int | None:
        """Block until a milestone later than ``seen`` came, at most ``timeout_s`` (at most
        ``fallback_s`` while the stream is down); the latest index known then.

        ``seen`` None waits for the first milestone the stream brings.
        """
        with self._changed:
            live = self._live
            self._changed.wait_for(
                lambda: self._later(seen) or self._live is not live,
                timeout_s if live else min(timeout_s, self._fallback_s),
            )
            return self._latest

    def start(self) -> Self:
        """Start following; returns once the stream is open, or failed to open the first time
        (then the waiters poll until it opens)."""
        self._thread.start()
        self._tried.wait(timeout=_FIRST_OPEN_S)
        return self

    def close(self) -> None:
        """Stop following (the stream and the client are closed); a wait then lasts
        ``fallback_s``, as while the stream is down, so a caller still waiting polls
        instead of spinning."""
        self._stop.set()
        stream = self._stream
        if stream is not None:
            stream.close()
        self._set_live(False)
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)
        self._client.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _later(self, seen: int | None) -> bool:
        return self._latest is not None and (seen is None or self._latest > seen)

    def _follow(self) -> None:
        """Read the stream until closed, opening it again ``retry_s`` after it fails."""
        while not self._stop.is_set():
            self._stream = None
            try:
                self._stream = self._client.events(
                    kinds=["milestone"], read_timeout=self._read_timeout_s
                )
                if self._stop.is_set():
                    break  # closed while it opened: the stream is closed below
                self._set_live(True)
                self._tried.set()
                for event in self._stream:
                    if event.kind == "milestone" and "index" in event.data:
                        self._saw(int(event.data["index"]))
            except (ClientError, httpx.HTTPError, httpx.StreamError, ValueError, OSError):
                pass  # refused (429), cut or garbled: the waiters poll meanwhile
            finally:
                self._tried.set()
                self._set_live(False)
                if self._stream is not None:
                    self._stream.close()
            self._stop.wait(self._retry_s)

    def _saw(self, index: int) -> None:
        with self._changed:
            if self._latest is None or index > self._latest:
                self._latest = index
                self._changed.notify_all()

    def _set_live(self, live: bool) -> None:
        with self._changed:
            self._live = live
            self._changed.notify_all()  # a waiter's timeout depends on it
