"""The twin publisher of a marketplace with several worker processes writes only while its
worker holds the marketplace's lease, and a worker that takes the lease again forgets the
channels it had open: another worker may have written those twins in between."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from twins_support import (
    HOUR_MS,
    SOLAR,
    Ledger,
    OutboxStores,
    in_process_ledger,
    pid,
    staged_twins,
)

from plaza.channels import Reader
from plaza.market.book.memory import MemoryBookStore
from plaza.market.book.service import BidManager
from plaza.market.model import NewOrder, Side
from plaza.market.twins.documents import TwinKind, decode_document
from plaza.market.twins.staging import StagedTwins


class SwitchedLease:
    """A lease the test hands from worker to worker."""

    def __init__(self) -> None:
        self.holding = False
        self.generation = 0

    def held(self) -> bool:
        return self.holding

    def take(self) -> None:
        self.holding = True
        self.generation += 1

    def close(self) -> None:
        self.holding = False


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with in_process_ledger() as running:
        yield running


def _worker(
    ledger: Ledger, stores: OutboxStores, journal: MemoryBookStore
) -> tuple[BidManager, StagedTwins, SwitchedLease]:
    lease = SwitchedLease()
    twins = staged_twins(ledger, stores, lease=lease)
    book = BidManager(journal, clock=ledger.clock, policy="one_to_one", twins=twins)
    return book, twins, lease


def _hand_over(giver: SwitchedLease, taker: SwitchedLease) -> None:
    giver.close()
    taker.take()


def test_only_the_holder_writes_and_a_new_holder_continues_each_twin_in_order(
    ledger: Ledger,
) -> None:
    stores, journal = OutboxStores(), MemoryBookStore()
    book_a, twins_a, lease_a = _worker(ledger, stores, journal)
    book_b, twins_b, lease_b = _worker(ledger, stores, journal)
    now = ledger.clock.now_ms()
    spec = NewOrder(Side.OFFER, pid(SOLAR), "energy", 10, 5, now, now + HOUR_MS)
    order = book_a.submit_order(spec).order
    count = ledger.message_count()
    assert (twins_a.flush(), twins_b.flush()) == (0, 0), "no one holds the lease yet"
    assert ledger.message_count() == count

    lease_a.take()
    assert twins_a.flush() == 1
    book_b.disable_order(order.id, participant=pid(SOLAR))
    assert twins_a.flush() == 1, "the holder writes what any worker staged"
    _hand_over(lease_a, lease_b)
    book_a.enable_order(order.id, participant=pid(SOLAR))
    assert (twins_a.flush(), twins_b.flush()) == (0, 1)
    _hand_over(lease_b, lease_a)
    book_b.cancel_order(order.id, participant=pid(SOLAR))
    assert twins_a.flush() == 1, "back with the first worker, on the twin as the second left it"

    key = twins_a.reader_key(TwinKind.ORDER, order.id)
    assert key is not None
    trail = [decode_document(entry.content) for entry in Reader(ledger.gateway, key).read()]
    assert [(d.step, d.body["reason"]) for d in trail] == [
        (1, "accepted"),
        (2, "disabled"),
        (3, "enabled"),
        (4, "removed"),
    ]
