"""The marketplace's own work while its API serves: periodic jobs, notification delivery and
the twin outbox's publisher.

Threads rather than event-loop tasks, because both call blocking code (the
book's lock, the databases, HTTP posts to webhooks) and must be stopped and
joined before the composition root closes what they use; a thread stopped by
an event finishes its current round and returns.
"""

from __future__ import annotations

import logging
import threading

from plaza.api.market.services import MarketServices

__all__ = ["Background"]

log = logging.getLogger(__name__)

_JOIN_TIMEOUT_S = 10.0


class Background:
    """``run_periodic`` every interval (expiry, clearing, payments, deadlines), the
    jobs worker that delivers webhooks and MQTT messages, and the twin publisher that
    writes the states requests staged (woken by each, so a twin lags by one batch)."""

    def __init__(self, services: MarketServices) -> None:
        self._services = services
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._threads.append(
            threading.Thread(target=self._periodic, name="plaza-market-periodic", daemon=True)
        )
        worker = self._services.worker
        if worker is not None:
            poll_s = self._services.config.worker_poll_s
            self._threads.append(
                threading.Thread(
                    target=worker.run,
                    args=(self._stop,),
                    kwargs={"poll_s": poll_s},
                    name="plaza-market-worker",
                    daemon=True,
                )
            )
        twins = self._services.twins
        if twins is not None:
            self._threads.append(
                threading.Thread(
                    target=twins.publisher.run,
                    args=(self._stop,),
                    name="plaza-market-twins",
                    daemon=True,
                )
            )
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._services.twins is not None:
            self._services.twins.publisher.wake()  # not waiting out its idle poll
        for thread in self._threads:
            thread.join(_JOIN_TIMEOUT_S)
            if thread.is_alive():
                log.warning("%s did not stop within %s s", thread.name, _JOIN_TIMEOUT_S)
        self._threads.clear()

    def _periodic(self) -> None:
        """A failing round is logged and the next one runs: a sweep must not stop for good."""
        interval = self._services.config.periodic_interval_s
        while not self._stop.wait(interval):
            try:
                if self._services.lease.held():  # one worker of the marketplace does it
                    self._services.marketplace.run_periodic()
            except Exception:
                log.exception("the marketplace's periodic round failed")
            try:
                self._services.end_stale_streams()
            except Exception:
                log.exception("ending the streams of expired credentials failed")
