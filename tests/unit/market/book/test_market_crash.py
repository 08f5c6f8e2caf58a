"""A bid manager killed with SIGKILL mid-stream loses no order and duplicates nothing.

A child process submits numbered orders, each with its number as idempotency
key, to a SQLite-backed bid manager and is killed while doing so. The parent
then rebuilds the book from the file, checks it, and re-submits every number
the child may have been working on: those already journaled come back as
replays, the rest become new orders, and every quantity still adds up.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from market_support import numbered_spec

from plaza.market import BidManager, OrderStatus
from plaza.market.book.sqlite import SqliteBookStore
from plaza.testing import FakeClock

pytestmark = pytest.mark.slow

CHILD = """
import sys
sys.path.insert(0, {tests!r})
from market_support import numbered_spec
from plaza.market import BidManager
from plaza.market.book.sqlite import SqliteBookStore
from plaza.testing import FakeClock

manager = BidManager(SqliteBookStore({path!r}), clock=FakeClock(), policy="cda")
number = 0
while True:
    manager.submit_order(numbered_spec(number), idempotency_key=str(number))
    print(number, flush=True)
    number += 1
"""


def test_a_killed_bid_manager_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "book.db"
    code = CHILD.format(tests=str(Path(__file__).parents[1]), path=str(path))  # market_support
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    deadline = time.monotonic() + 60
    last = -1
    while last < 300 and time.monotonic() < deadline:
        last = int(child.stdout.readline())
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    child.stdout.close()
    assert last >= 300

    store = SqliteBookStore(path)
    try:
        manager = BidManager(store, clock=FakeClock(), policy="cda")
        journaled = manager.statistics().orders
        assert journaled >= last + 1  # every acknowledged order survived
        for number in range(journaled + 5):
            result = manager.submit_order(numbered_spec(number), idempotency_key=str(number))
            assert result.replayed == (number < journaled)
        _check_quantities(manager, store)
        assert manager.statistics().orders == journaled + 5
    finally:
        store.close()


def _check_quantities(manager: BidManager, store: SqliteBookStore) -> None:
    filled: Counter[str] = Counter()
    matches = [match for entry in store.entries() for match in entry.matches()]
    assert len({m.id for m in matches}) == len(matches)
    for match in matches:
        filled[match.offer_id] += match.quantity
        filled[match.request_id] += match.quantity
    for order in manager.orders():
        assert filled[order.id] + order.remaining == order.quantity
        assert (order.status is OrderStatus.FILLED) == (order.remaining == 0)
