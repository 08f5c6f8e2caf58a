"""``plaza market run --workers 2`` as a process, on a fresh PostgreSQL schema, twins off.

Two workers serve one marketplace: each trade (an offer, then a request crossing it)
makes exactly one contract. A worker killed with SIGKILL is replaced by the supervisor
while the other keeps serving; the journal holds every order once and every match once;
SIGTERM stops the parent, which exits 0 and leaves no worker behind. A live event stream,
served by one worker, hears the contracts of trades whichever worker made them.
Skipped locally without PostgreSQL; in CI (``CI=true``) a missing server fails.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from market_workers_kit import MarketWorkers, journal, none_left
from postgres_support import fresh_schema

from plaza.clients.errors import ClientError
from plaza.clients.market import MarketClient, OrderTerms
from plaza.crypto import Identity
from plaza.market.auth import Role

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

_HOUR_MS = 3_600_000


def _trade(url: str, seller: Identity, buyer: Identity) -> tuple[str, str, str]:
    """One offer, one request crossing it, each through a client of its own (connections
    the kernel hands to either worker): the order ids and the one contract's id."""
    now = int(time.time() * 1000)
    terms = OrderTerms("energy", 10, 3, now, now + _HOUR_MS)
    with MarketClient(url, identity=seller) as selling:
        offer = selling.offer(terms).order.id
    with MarketClient(url, identity=buyer) as buying:
        outcome = buying.request(terms)
    [contract] = outcome.contracts
    match = contract.signed.match
    assert (match.offer_id, match.request_id) == (offer, outcome.order.id)
    with MarketClient(url, identity=seller) as selling:
        assert selling.contract(contract.id).signed == contract.signed
    return offer, outcome.order.id, contract.id


def _register(url: str, seller: Identity, buyer: Identity) -> None:
    with MarketClient(url, identity=seller) as selling:
        selling.register("workers test seller", roles=[Role.PROVIDER])
    with MarketClient(url, identity=buyer) as buying:
        buying.register("workers test buyer", roles=[Role.CONSUMER])


class Heard:
    """A participant's live contract events, read on a thread from one worker's stream."""

    def __init__(self, url: str, who: Identity) -> None:
        self._client = MarketClient(url, identity=who)
        self._events = self._client.events(query="eventType=ContractCreateEvent")
        self._ids: queue.Queue[str] = queue.Queue()
        self._thread = threading.Thread(target=self._read, daemon=True)

    def __enter__(self) -> Heard:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        """Leaves the stream open: :meth:`contracts` reads on, then closes it."""

    def _read(self) -> None:
        with contextlib.suppress(ClientError):  # closed under it: the test has done
            for event in self._events:
                self._ids.put(str(event.data["event"]["contract"]["id"]))

    def contracts(self, count: int, timeout: float = 10.0) -> set[str]:
        """The ids of the first ``count`` contracts heard (fewer if they do not come)."""
        deadline, ids = time.monotonic() + timeout, set[str]()
        try:
            while len(ids) < count and time.monotonic() < deadline:
                with contextlib.suppress(queue.Empty):
                    ids.add(self._ids.get(timeout=0.1))
        finally:
            self._events.close()
            self._client.close()
        return ids


def test_two_workers_trade_survive_a_killed_worker_and_stop_cleanly(tmp_path: Path) -> None:
    with fresh_schema("plaza_workers") as (dsn, schema):
        market = MarketWorkers(tmp_path / "market", dsn, schema)  # twins off: no node
        try:
            workers = market.start()
            assert workers <= market.children()
            seller, buyer = Identity.generate(), Identity.generate()
            _register(market.url, seller, buyer)
            trades = [_trade(market.url, seller, buyer) for _ in range(3)]
            killed = min(workers)
            os.kill(killed, signal.SIGKILL)
            trades += [_trade(market.url, seller, buyer) for _ in range(3)]  # the other serves
            replacement = market.next_worker()
            assert replacement not in workers
            assert replacement in market.children()
            assert killed not in market.children()
            with Heard(market.url, seller) as heard:
                trades += [_trade(market.url, seller, buyer) for _ in range(6)]
            assert heard.contracts(6) == {contract for *_, contract in trades[-6:]}
        finally:
            assert market.stop() == 0, "SIGTERM: the parent stops its workers and exits 0"
        none_left(market.seen)
        accepted, matches = journal(dsn, schema)
    assert len(trades) == 12
    assert accepted == Counter(order for offer, request, _ in trades for order in (offer, request))
    assert Counter(match.id for match in matches) == Counter(contract for *_, contract in trades)
