"""StagedTwins and the OutboxPublisher: requests stage twin states, the publisher writes them
in order, each exactly once, whatever is retried or staged again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from twins_support import (
    AUDITOR,
    EV,
    HOUR_MS,
    MARKETPLACE,
    SOLAR,
    FlakyGateway,
    Ledger,
    OutboxStores,
    in_process_ledger,
    pid,
    staged_twins,
)

from plaza.channels import Reader, open_inbox
from plaza.crypto import Identity
from plaza.market.book.memory import MemoryBookStore
from plaza.market.book.service import BidManager
from plaza.market.contracts import ContractDesk
from plaza.market.model import NewOrder, Side
from plaza.market.settlement import MemorySettlementStore, SettlementService
from plaza.market.twins.documents import DocumentType, TwinDocument, TwinKind, decode_document
from plaza.market.twins.staging import StagedTwins
from plaza.testing.payments import FakePayments


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with in_process_ledger() as running:
        yield running


def spec(ledger: Ledger, side: Side, who: Identity, quantity: int = 10, price: int = 5) -> NewOrder:
    now = ledger.clock.now_ms()
    return NewOrder(side, pid(who), "energy", quantity, price, now, now + HOUR_MS)


def documents(
    ledger: Ledger, twins: StagedTwins, kind: TwinKind, record: str
) -> list[TwinDocument]:
    key = twins.reader_key(kind, record)
    assert key is not None
    return [decode_document(entry.content) for entry in Reader(ledger.gateway, key).read()]


def world(
    ledger: Ledger, twins: StagedTwins, journal: MemoryBookStore | None = None
) -> tuple[BidManager, ContractDesk, SettlementService]:
    book = BidManager(
        journal or MemoryBookStore(), clock=ledger.clock, policy="one_to_one", twins=twins
    )
    settlement = SettlementService(
        MemorySettlementStore(), FakePayments({}, {}), ledger.clock, listener=twins
    )
    return book, ContractDesk(MARKETPLACE.signing, settlement, twins=twins), settlement


def test_requests_only_stage_and_the_publisher_writes_in_order(ledger: Ledger) -> None:
    twins = staged_twins(ledger, OutboxStores())
    book, _, _ = world(ledger, twins)
    count = ledger.message_count()
    order = book.submit_order(spec(ledger, Side.OFFER, SOLAR)).order
    book.disable_order(order.id, participant=pid(SOLAR))
    book.enable_order(order.id, participant=pid(SOLAR))
    assert ledger.message_count() == count  # nothing on the request path
    assert twins.statistics()["queued"] == 3
    ledger.clock.advance(ms=250)
    assert twins.flush() == 3
    trail = documents(ledger, twins, TwinKind.ORDER, order.id)
    assert [(d.step, d.body["reason"]) for d in trail] == [
        (1, "accepted"),
        (2, "disabled"),
        (3, "enabled"),
    ]
    assert twins.recorded_through() == 3
    assert twins.lags_ms() == [250, 250, 250]
    assert twins.statistics()["queued"] == 0


def test_a_twin_key_sent_to_an_auditor_is_on_the_ledger_at_once_with_carriers(
    ledger: Ledger,
) -> None:
    twins = staged_twins(ledger, OutboxStores(), carriers=True)
    book, _, _ = world(ledger, twins)
    order = book.submit_order(spec(ledger, Side.OFFER, SOLAR)).order
    twins.publisher.drain()
    assert twins.send_reader_key(TwinKind.ORDER, order.id, AUDITOR.encryption.public_key)
    [delivery] = open_inbox(ledger.gateway, AUDITOR.encryption)
    key = twins.reader_key(TwinKind.ORDER, order.id)
    assert key is not None
    assert delivery.reader_key.channel == key.channel


def test_staging_again_writes_nothing_again(ledger: Ledger) -> None:
    stores = OutboxStores()
    twins = staged_twins(ledger, stores)
    journal = MemoryBookStore()
    book, desk, settlement = world(ledger, twins, journal)
    book.submit_order(spec(ledger, Side.OFFER, SOLAR, 50, 9))
    [match] = book.submit_order(spec(ledger, Side.REQUEST, EV, 20, 10)).matches
    desk.open([match])
    settlement.report_delivery(match.id, pid(SOLAR))
    twins.flush()
    count = ledger.message_count()
    restarted = staged_twins(ledger, stores)
    _, desk_again, _ = world(ledger, restarted, journal)  # replays the journal
    desk_again.open([match])  # a reconciliation stages the contract again
    assert restarted.catch_up([settlement.get(match.id)]) == 0
    assert restarted.flush() == 0
    assert ledger.message_count() == count
    trail = documents(ledger, restarted, TwinKind.CONTRACT, match.id)
    assert [(d.type, d.step) for d in trail] == [
        (DocumentType.CONTRACT, 1),
        (DocumentType.SETTLEMENT, 2),
        (DocumentType.SETTLEMENT, 3),
    ]


def test_a_participant_twin_numbers_its_contracts_as_they_are_written(ledger: Ledger) -> None:
    twins = staged_twins(ledger, OutboxStores(), batch_size=2)
    book, desk, _ = world(ledger, twins)
    matches = []
    for _ in range(3):
        book.submit_order(spec(ledger, Side.OFFER, SOLAR, 10, 9))
        matches += book.submit_order(spec(ledger, Side.REQUEST, EV, 10, 10)).matches
    desk.open(matches)
    assert twins.flush() == 2  # one batch
    assert twins.publisher.drain() == 3 * 7 - 2  # each: 3 order states, 3 contract, 1 settlement
    for party in (SOLAR, EV):
        trail = documents(ledger, twins, TwinKind.PARTICIPANT, pid(party))
        assert [(d.step, d.record) for d in trail] == [(n + 1, m.id) for n, m in enumerate(matches)]


def test_a_twin_waits_in_order_while_the_ledger_is_down(ledger: Ledger) -> None:
    flaky = FlakyGateway(ledger.gateway)
    twins = staged_twins(ledger, OutboxStores(), gateway=flaky)
    book, _, _ = world(ledger, twins)
    order = book.submit_order(spec(ledger, Side.OFFER, SOLAR)).order
    twins.flush()
    flaky.fail_submits = 1  # the next state's submit is lost (its bytes are kept)
    book.disable_order(order.id, participant=pid(SOLAR))
    book.enable_order(order.id, participant=pid(SOLAR))
    assert twins.flush() == 0
    assert twins.statistics()["queued"] == 2
    assert twins.flush() == 2
    assert [d.step for d in documents(ledger, twins, TwinKind.ORDER, order.id)] == [1, 2, 3]


def test_a_carrier_the_node_cannot_take_leaves_the_batch_waiting_not_failing(
    ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    flaky = FlakyGateway(ledger.gateway)
    twins = staged_twins(ledger, OutboxStores(), gateway=flaky, carriers=True)
    book, _, _ = world(ledger, twins)
    order = book.submit_order(spec(ledger, Side.OFFER, SOLAR)).order
    assert twins.flush() == 1
    flaky.submit_down = True  # the carrier's submit fails, after its states were composed
    book.disable_order(order.id, participant=pid(SOLAR))
    with caplog.at_level("WARNING"):
        assert twins.publisher.publish_pending() == 0  # no exception: the batch waits
    assert "twin states wait" in caplog.text
    assert twins.statistics()["queued"] == 1
    flaky.submit_down = False
    assert twins.flush() == 1
    assert [d.step for d in documents(ledger, twins, TwinKind.ORDER, order.id)] == [1, 2]
