"""ChannelTwins: every order state, contract and settlement state on its twin, exactly once,
readable by its parties and auditors and by nobody else."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from twins_support import (
    AUDITOR,
    EV,
    HOUR_MS,
    MARKETPLACE,
    SOLAR,
    STRANGER,
    FlakyGateway,
    Ledger,
    channel_twins,
    in_process_ledger,
    pid,
)

from plaza.channels import MemoryCursorStore, Reader, open_inbox
from plaza.crypto import Identity
from plaza.ledger.codec import decode_message
from plaza.ledger.model import DataPayload
from plaza.market.audit.channels import InboxTwinKeys
from plaza.market.book.journal import OrderChange
from plaza.market.book.memory import MemoryBookStore
from plaza.market.book.service import BidManager
from plaza.market.contracts import ContractDesk, sign_contract
from plaza.market.errors import StoreFailed, TwinUnavailable
from plaza.market.model import NewOrder, Side
from plaza.market.settlement import Contract, MemorySettlementStore, SettlementService
from plaza.market.twins.documents import DocumentType, TwinDocument, TwinKind, decode_document
from plaza.market.twins.memory import MemoryTwinDirectory
from plaza.market.twins.recorder import ChannelTwins
from plaza.testing.payments import FakePayments


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with in_process_ledger() as running:
        yield running


def spec(ledger: Ledger, side: Side, who: Identity, quantity: int = 10, price: int = 5) -> NewOrder:
    now = ledger.clock.now_ms()
    return NewOrder(side, pid(who), "energy", quantity, price, now, now + HOUR_MS)


def documents(
    ledger: Ledger, twins: ChannelTwins, kind: TwinKind, record: str
) -> list[TwinDocument]:
    """The twin as an auditor reads it."""
    key = twins.reader_key(kind, record)
    assert key is not None
    return [decode_document(entry.content) for entry in Reader(ledger.gateway, key).read()]


def test_every_state_of_an_order_is_on_its_twin(ledger: Ledger) -> None:
    twins = channel_twins(ledger)
    book = BidManager(MemoryBookStore(), clock=ledger.clock, twins=twins)
    order = book.submit_order(spec(ledger, Side.OFFER, SOLAR)).order
    book.disable_order(order.id, participant=pid(SOLAR))
    book.enable_order(order.id, participant=pid(SOLAR))
    book.cancel_order(order.id, participant=pid(SOLAR))
    trail = documents(ledger, twins, TwinKind.ORDER, order.id)
    assert [(d.step, d.body["reason"], d.body["order"]["status"]) for d in trail] == [
        (1, "accepted", "active"),
        (2, "disabled", "disabled"),
        (3, "enabled", "active"),
        (4, "removed", "removed"),
    ]
    assert {(d.twin_kind, d.twin_id, d.type) for d in trail} == {
        (TwinKind.ORDER, order.id, DocumentType.ORDER)
    }
    assert twins.recorded_through() == 4


def test_the_owner_reads_its_twin_from_a_sealed_delivery_and_a_stranger_cannot(
    ledger: Ledger,
) -> None:
    twins = channel_twins(ledger)
    book = BidManager(MemoryBookStore(), clock=ledger.clock, twins=twins)
    order = book.submit_order(spec(ledger, Side.OFFER, SOLAR)).order
    [delivery] = open_inbox(ledger.gateway, SOLAR.encryption)
    assert delivery.sender == MARKETPLACE.public_key
    reader = Reader(ledger.gateway, delivery.reader_key, encryption_key=SOLAR.encryption)
    [entry] = list(reader.read())
    assert decode_document(entry.content).record == order.id
    assert open_inbox(ledger.gateway, STRANGER.encryption) == []
    clear = order.id.encode() + b'"'
    data = [decode_message(raw).payload for raw, _solid in ledger.runtime.store.unconfirmed()]
    data_messages = [payload.data for payload in data if isinstance(payload, DataPayload)]
    assert len(data_messages) >= 4  # announcement, keys record, delivery, the state
    assert not any(clear in message for message in data_messages)  # states travel encrypted


class Capturing:
    """Passes order changes on to the recorder, keeping a copy to send again."""

    def __init__(self, twins: ChannelTwins) -> None:
        self.twins = twins
        self.changes: list[OrderChange] = []

    def record(self, changes: Sequence[OrderChange]) -> None:
        self.changes.extend(change for change in changes if change not in self.changes)
        self.twins.record(changes)

    def recorded_through(self) -> int:
        return self.twins.recorded_through()


def test_recording_again_changes_nothing_even_after_a_restart(ledger: Ledger) -> None:
    directory, cursors = MemoryTwinDirectory(), MemoryCursorStore()
    twins = Capturing(channel_twins(ledger, directory=directory, cursors=cursors))
    journal = MemoryBookStore()
    book = BidManager(journal, clock=ledger.clock, twins=twins, policy="one_to_one")
    book.submit_order(spec(ledger, Side.OFFER, SOLAR))
    book.submit_order(spec(ledger, Side.REQUEST, EV, price=6))  # matches: two orders change
    assert [change.step for change in twins.changes] == [1, 2, 2]
    count = ledger.message_count()
    twins.record(twins.changes)
    restarted = channel_twins(ledger, directory=directory, cursors=cursors)
    assert restarted.recorded_through() == 2
    BidManager(journal, clock=ledger.clock, twins=restarted, policy="one_to_one")
    restarted.record(twins.changes)
    assert ledger.message_count() == count


def test_an_unreachable_ledger_makes_the_bid_manager_retry(ledger: Ledger) -> None:
    flaky = FlakyGateway(ledger.gateway)
    twins = Capturing(channel_twins(ledger, gateway=flaky))
    book = BidManager(MemoryBookStore(), clock=ledger.clock, twins=twins)
    flaky.compose_down = True
    order = book.submit_order(spec(ledger, Side.OFFER, SOLAR)).order  # accepted all the same
    assert twins.recorded_through() == 0
    with pytest.raises(TwinUnavailable):
        twins.twins.record(twins.changes)
    flaky.compose_down = False
    assert book.sync_twins() == 1
    assert [d.step for d in documents(ledger, twins.twins, TwinKind.ORDER, order.id)] == [1]


@pytest.mark.parametrize("lost_submits", [1, 2])
def test_a_state_whose_submit_failed_is_not_written_twice(
    ledger: Ledger, lost_submits: int
) -> None:
    """The publisher kept the bytes it could not send; the retry sends them, not a copy."""
    flaky = FlakyGateway(ledger.gateway)
    twins = channel_twins(ledger, gateway=flaky)
    book = BidManager(MemoryBookStore(), clock=ledger.clock, twins=twins)
    order = book.submit_order(spec(ledger, Side.OFFER, SOLAR)).order
    flaky.fail_submits = lost_submits
    book.disable_order(order.id, participant=pid(SOLAR))
    for _ in range(lost_submits):
        book.sync_twins()
    assert twins.recorded_through() == 2
    book.enable_order(order.id, participant=pid(SOLAR))
    steps = [d.step for d in documents(ledger, twins, TwinKind.ORDER, order.id)]
    assert steps == [1, 2, 3]


class CrashingDirectory(MemoryTwinDirectory):
    """A directory whose next ``advance`` fails: a crash right after a publish."""

    crash_next = False

    def advance(
        self, kind: TwinKind, record_id: str, *, step: int, position: int, ready: bool = False
    ) -> object:
        if self.crash_next and step > 0 and not ready:
            self.crash_next = False
            raise StoreFailed("the process died here")
        return super().advance(kind, record_id, step=step, position=position, ready=ready)


def test_a_failed_directory_write_is_caught_up_in_the_same_process(ledger: Ledger) -> None:
    directory = CrashingDirectory()
    twins = channel_twins(ledger, directory=directory)
    book = BidManager(MemoryBookStore(), clock=ledger.clock, twins=twins)
    order = book.submit_order(spec(ledger, Side.OFFER, SOLAR)).order
    directory.crash_next = True
    book.disable_order(order.id, participant=pid(SOLAR))
    assert book.sync_twins() == 1
    assert [d.step for d in documents(ledger, twins, TwinKind.ORDER, order.id)] == [1, 2]


def test_a_crash_between_publish_and_directory_is_caught_up_from_the_ledger(
    ledger: Ledger,
) -> None:
    directory, cursors = CrashingDirectory(), MemoryCursorStore()
    twins = channel_twins(ledger, directory=directory, cursors=cursors)
    journal = MemoryBookStore()
    book = BidManager(journal, clock=ledger.clock, twins=twins)
    order = book.submit_order(spec(ledger, Side.OFFER, SOLAR)).order
    directory.crash_next = True
    book.disable_order(order.id, participant=pid(SOLAR))  # published; the directory missed it
    assert twins.recorded_through() == 1
    count = ledger.message_count()
    restarted = channel_twins(ledger, directory=directory, cursors=cursors)
    BidManager(journal, clock=ledger.clock, twins=restarted)  # re-sends step 2
    assert restarted.recorded_through() == 2
    assert restarted.statistics()["caught_up"] == 1
    assert ledger.message_count() == count  # nothing written again
    assert [d.step for d in documents(ledger, restarted, TwinKind.ORDER, order.id)] == [1, 2]


def contract_world(
    ledger: Ledger, twins: ChannelTwins
) -> tuple[BidManager, ContractDesk, SettlementService]:
    book = BidManager(MemoryBookStore(), clock=ledger.clock, policy="one_to_one", twins=twins)
    settlement = SettlementService(
        MemorySettlementStore(), FakePayments({}, {}), ledger.clock, listener=twins
    )
    return book, ContractDesk(MARKETPLACE.signing, settlement, twins=twins), settlement


def test_a_contract_is_on_its_twin_and_both_parties_twins_with_its_settlement(
    ledger: Ledger,
) -> None:
    twins = channel_twins(ledger)
    book, desk, settlement = contract_world(ledger, twins)
    book.submit_order(spec(ledger, Side.OFFER, SOLAR, 50, 9))
    [match] = book.submit_order(spec(ledger, Side.REQUEST, EV, 20, 10)).matches
    [contract] = desk.open([match])
    settlement.report_delivery(match.id, pid(SOLAR))
    count = ledger.message_count()
    desk.open([match])  # again: harmless
    assert ledger.message_count() == count
    trail = documents(ledger, twins, TwinKind.CONTRACT, match.id)
    assert [(d.type, d.step) for d in trail] == [
        (DocumentType.CONTRACT, 1),
        (DocumentType.SETTLEMENT, 2),
        (DocumentType.SETTLEMENT, 3),
    ]
    assert trail[0].body["signature"] == contract.signature.hex()
    assert [d.body["event"] for d in trail[1:]] == ["open", "deliver"]
    for party in (SOLAR, EV):
        [on_party] = documents(ledger, twins, TwinKind.PARTICIPANT, pid(party))
        assert (on_party.record, on_party.body) == (match.id, trail[0].body)


def test_contracts_and_settlements_wait_in_order_while_the_ledger_is_down(
    ledger: Ledger,
) -> None:
    flaky = FlakyGateway(ledger.gateway)
    twins = channel_twins(ledger, gateway=flaky)
    book, desk, settlement = contract_world(ledger, twins)
    book.submit_order(spec(ledger, Side.OFFER, SOLAR, 50, 9))
    [match] = book.submit_order(spec(ledger, Side.REQUEST, EV, 20, 10)).matches
    flaky.submit_down = True
    desk.open([match])  # never raises: queued
    settlement.report_delivery(match.id, pid(EV))
    assert twins.statistics()["queued"] == 3
    flaky.submit_down = False
    assert twins.flush() == 3
    trail = documents(ledger, twins, TwinKind.CONTRACT, match.id)
    assert [d.step for d in trail] == [1, 2, 3]
    assert twins.statistics()["queued"] == 0


def test_auditors_find_their_keys_sealed_in_their_inbox(ledger: Ledger) -> None:
    twins = channel_twins(ledger, auditors=(AUDITOR,))
    book = BidManager(MemoryBookStore(), clock=ledger.clock, twins=twins)
    order = book.submit_order(spec(ledger, Side.OFFER, SOLAR)).order
    keys = InboxTwinKeys(ledger.gateway, AUDITOR.encryption, MARKETPLACE.public_key.raw)
    key = keys.reader_key(TwinKind.ORDER, order.id)
    assert key is not None
    assert [decode_document(e.content).step for e in Reader(ledger.gateway, key).read()] == [1]
    assert keys.reader_key(TwinKind.ORDER, "ord-404") is None
    other = InboxTwinKeys(ledger.gateway, AUDITOR.encryption, STRANGER.public_key.raw)
    assert other.reader_key(TwinKind.ORDER, order.id) is None  # only the marketplace's count


def test_a_twin_key_can_be_sent_to_a_new_auditor(ledger: Ledger) -> None:
    twins = channel_twins(ledger)
    book = BidManager(MemoryBookStore(), clock=ledger.clock, twins=twins)
    order = book.submit_order(spec(ledger, Side.OFFER, SOLAR)).order
    assert twins.send_reader_key(TwinKind.ORDER, order.id, AUDITOR.encryption.public_key)
    assert not twins.send_reader_key(TwinKind.ORDER, "ord-404", AUDITOR.encryption.public_key)
    keys = InboxTwinKeys(ledger.gateway, AUDITOR.encryption, MARKETPLACE.public_key.raw)
    assert keys.reader_key(TwinKind.ORDER, order.id) is not None
    assert repr(keys.reader_key(TwinKind.ORDER, order.id)).startswith("ReaderKey(restricted")


def test_catch_up_records_the_latest_state_of_lagging_settlements(ledger: Ledger) -> None:
    twins = channel_twins(ledger)
    book = BidManager(MemoryBookStore(), clock=ledger.clock, policy="one_to_one", twins=twins)
    store = MemorySettlementStore()
    unheard = SettlementService(store, FakePayments({}, {}), ledger.clock)  # no listener
    book.submit_order(spec(ledger, Side.OFFER, SOLAR, 50, 9))
    [match] = book.submit_order(spec(ledger, Side.REQUEST, EV, 20, 10)).matches
    ContractDesk(MARKETPLACE.signing, unheard, twins=twins).open([match])
    delivered = unheard.report_delivery(match.id, pid(SOLAR))
    assert twins.catch_up([delivered]) == 1
    assert twins.catch_up([delivered]) == 0
    trail = documents(ledger, twins, TwinKind.CONTRACT, match.id)
    assert [(d.step, d.body.get("event")) for d in trail] == [(1, None), (3, "catch up")]


def test_a_settlement_without_its_contract_on_the_twin_is_skipped(ledger: Ledger) -> None:
    twins = channel_twins(ledger)
    service = SettlementService(
        MemorySettlementStore(), FakePayments({}, {}), ledger.clock, listener=twins
    )
    service.open(Contract("mat-9", pid(SOLAR), pid(EV), 1, 1, 0))
    assert twins.statistics()["without_contract"] == 1
    assert twins.reader_key(TwinKind.CONTRACT, "mat-9") is None


class BrokenKeys:
    def encryption_key(self, participant_id: str) -> None:
        raise RuntimeError("a bug, not an outage")


def test_a_job_failing_for_a_bug_is_dropped_so_later_ones_still_go(ledger: Ledger) -> None:
    twins = ChannelTwins(
        identity=MARKETPLACE,
        gateway=ledger.gateway,
        cursors=MemoryCursorStore(),
        directory=MemoryTwinDirectory(),
        clock=ledger.clock,
        parties=BrokenKeys(),
    )
    book = BidManager(MemoryBookStore(), clock=ledger.clock, policy="one_to_one")
    book.submit_order(spec(ledger, Side.OFFER, SOLAR, 50, 9))
    [match] = book.submit_order(spec(ledger, Side.REQUEST, EV, 20, 10)).matches
    twins.record_contract(sign_contract(match, MARKETPLACE.signing))
    assert (twins.statistics()["dropped"], twins.statistics()["queued"]) == (1, 0)
