"""Auditing real twins: spam at a twin's address is ignored, a missing twin is reported, keys
come from the recorder or the inbox, and the auditor reads without writing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from twins_support import (
    EV,
    HOUR_MS,
    MARKETPLACE,
    SOLAR,
    Ledger,
    channel_twins,
    identity,
    in_process_ledger,
    pid,
)

from plaza.adapters.ledger.local import LocalLedger
from plaza.channels import MemoryCursorStore
from plaza.crypto import SigningKey
from plaza.ledger.model import DataPayload
from plaza.market.audit.channels import ChannelTrails
from plaza.market.audit.service import Auditor, BookAndSettlements
from plaza.market.auth import MemoryParticipantStore, Participant, Role
from plaza.market.book.memory import MemoryBookStore
from plaza.market.book.service import BidManager
from plaza.market.model import NewOrder, Side
from plaza.market.settlement import MemorySettlementStore
from plaza.market.twins.documents import TwinKind
from plaza.market.twins.lookup import ParticipantKeys
from plaza.market.twins.memory import MemoryTwinDirectory


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with in_process_ledger() as running:
        yield running


def offer(ledger: Ledger) -> NewOrder:
    now = ledger.clock.now_ms()
    return NewOrder(Side.OFFER, pid(SOLAR), "energy", 10, 5, now, now + HOUR_MS)


def test_spam_at_a_twin_address_is_skipped_and_the_audit_stays_clean(ledger: Ledger) -> None:
    twins = channel_twins(ledger)
    book = BidManager(MemoryBookStore(), clock=ledger.clock, twins=twins)
    order = book.submit_order(offer(ledger)).order
    key = twins.reader_key(TwinKind.ORDER, order.id)
    assert key is not None
    next_tag = key.point.advance(2).tag  # after the keys record and the first state
    ledger.gateway.submit(
        ledger.gateway.compose(SigningKey.generate(), DataPayload(next_tag, b"{}")).raw
    )
    book.disable_order(order.id, participant=pid(SOLAR))
    ledger.milestone()
    auditor = Auditor(
        ChannelTrails(ledger.gateway, twins),
        LocalLedger(ledger.runtime),
        BookAndSettlements(book, MemorySettlementStore()),
        marketplace_key=MARKETPLACE.public_key.raw,
    )
    report = auditor.audit_order(order.id)
    assert report.clean, report.problems
    assert report.confirmed
    assert report.foreign_skipped == 1
    assert [entry.event for entry in report.entries] == ["accepted", "disabled"]


def test_a_record_without_a_twin_is_reported_not_clean(ledger: Ledger) -> None:
    twins = channel_twins(ledger)
    book = BidManager(MemoryBookStore(), clock=ledger.clock)  # records no twins
    order = book.submit_order(offer(ledger)).order
    auditor = Auditor(
        ChannelTrails(ledger.gateway, twins),
        LocalLedger(ledger.runtime),
        BookAndSettlements(book, MemorySettlementStore()),
        marketplace_key=MARKETPLACE.public_key.raw,
    )
    report = auditor.audit_order(order.id)
    assert not report.clean
    assert report.channel_id is None
    assert report.problems == ("no twin key for this record",)
    contract = auditor.audit_contract("mat-404")
    assert "not on its twin" in " ".join(contract.problems)


def test_a_restarted_recorder_hands_out_keys_from_its_stored_cursors(ledger: Ledger) -> None:
    directory, cursors = MemoryTwinDirectory(), MemoryCursorStore()
    twins = channel_twins(ledger, directory=directory, cursors=cursors)
    book = BidManager(MemoryBookStore(), clock=ledger.clock, twins=twins)
    order = book.submit_order(offer(ledger)).order
    count = ledger.message_count()
    restarted = channel_twins(ledger, directory=directory, cursors=cursors)
    trail = ChannelTrails(ledger.gateway, restarted).trail(TwinKind.ORDER, order.id)
    assert [entry.position for entry in trail.entries] == [1]
    assert trail.owner == MARKETPLACE.public_key.raw
    assert ledger.message_count() == count  # handing out a key sends nothing
    assert restarted.reader_key(TwinKind.CONTRACT, order.id) is None


def test_participant_keys_come_from_the_registry() -> None:
    participants = MemoryParticipantStore()
    participants.add(
        Participant(
            pid(EV), EV.public_key, EV.encryption.public_key, "ev", frozenset({Role.CONSUMER}), 0
        )
    )
    keys = ParticipantKeys(participants)
    assert keys.encryption_key(pid(EV)) == EV.encryption.public_key
    assert keys.encryption_key(pid(identity(99))) is None
