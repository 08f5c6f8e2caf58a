"""Asset twins on a real (in-process) ledger: every state of an asset on its own restricted
twin, readable by its owner and auditors only, caught up after a crash, and audited against
the directory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from twins_support import (
    AUDITOR,
    MARKETPLACE,
    SOLAR,
    STRANGER,
    FlakyGateway,
    Ledger,
    channel_twins,
    in_process_ledger,
    pid,
)

from plaza.adapters.ledger.local import LocalLedger
from plaza.channels import MemoryCursorStore, Reader, open_inbox
from plaza.market.assets.memory import MemoryAssetDirectory
from plaza.market.assets.model import AssetChange
from plaza.market.audit.channels import ChannelTrails, InboxTwinKeys
from plaza.market.audit.service import Auditor, AuditReport, BookAndSettlements, Difference
from plaza.market.book.memory import MemoryBookStore
from plaza.market.book.service import BidManager
from plaza.market.model import Location, NewAsset
from plaza.market.settlement import MemorySettlementStore
from plaza.market.twins.documents import DocumentType, TwinKind, decode_document
from plaza.market.twins.memory import MemoryTwinDirectory
from plaza.market.twins.recorder import ChannelTwins

PANEL = NewAsset(pid(SOLAR), "energy", "roof panel", Location(52.5, 13.4))


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with in_process_ledger() as running:
        yield running


@dataclass
class Books:
    """A bid manager with an asset directory and its recorder, restartable over both."""

    ledger: Ledger
    twins: ChannelTwins
    assets: MemoryAssetDirectory
    book: BidManager

    def auditor(self) -> Auditor:
        return Auditor(
            ChannelTrails(self.ledger.gateway, self.twins),
            LocalLedger(self.ledger.runtime),
            BookAndSettlements(self.book, MemorySettlementStore()),
            marketplace_key=MARKETPLACE.public_key.raw,
        )


def books(ledger: Ledger, twins: ChannelTwins, assets: MemoryAssetDirectory | None = None) -> Books:
    directory = assets or MemoryAssetDirectory()
    book = BidManager(
        MemoryBookStore(), clock=ledger.clock, twins=twins, assets=directory, asset_twins=twins
    )
    return Books(ledger, twins, directory, book)


def lifecycle(b: Books) -> str:
    """Register, describe anew, disable, enable, remove: five states."""
    owner = pid(SOLAR)
    asset_id = b.book.register_asset(PANEL).asset.id
    b.book.update_asset(asset_id, AssetChange("south roof", PANEL.location), participant=owner)
    b.book.disable_asset(asset_id, participant=owner)
    b.book.enable_asset(asset_id, participant=owner)
    b.book.remove_asset(asset_id, participant=owner)
    return asset_id


EVENTS = ["registered", "updated", "disabled", "enabled", "removed"]


def test_every_state_of_an_asset_is_on_its_own_twin(ledger: Ledger) -> None:
    b = books(ledger, channel_twins(ledger))
    asset_id = lifecycle(b)
    key = b.twins.reader_key(TwinKind.ASSET, asset_id)
    assert key is not None
    documents = [decode_document(e.content) for e in Reader(ledger.gateway, key).read()]
    assert [(d.step, d.body["event"], d.body["asset"]["status"]) for d in documents] == [
        (1, "registered", "active"),
        (2, "updated", "active"),
        (3, "disabled", "disabled"),
        (4, "enabled", "active"),
        (5, "removed", "removed"),
    ]
    assert {(d.twin_kind, d.twin_id, d.type) for d in documents} == {
        (TwinKind.ASSET, asset_id, DocumentType.ASSET)
    }
    assert documents[1].body["asset"]["name"] == "south roof"
    assert b.twins.asset_recorded_through(asset_id) == 5
    assert b.twins.statistics()["asset_twins"] == 1


def test_only_the_owner_and_auditors_read_an_asset_twin(ledger: Ledger) -> None:
    twins = channel_twins(ledger, auditors=(AUDITOR,))
    b = books(ledger, twins)
    asset_id = b.book.register_asset(PANEL).asset.id
    [delivery] = open_inbox(ledger.gateway, SOLAR.encryption)
    reader = Reader(ledger.gateway, delivery.reader_key, encryption_key=SOLAR.encryption)
    assert [decode_document(e.content).record for e in reader.read()] == [asset_id]
    assert open_inbox(ledger.gateway, STRANGER.encryption) == []
    keys = InboxTwinKeys(ledger.gateway, AUDITOR.encryption, MARKETPLACE.public_key.raw)
    assert keys.reader_key(TwinKind.ASSET, asset_id) is not None


def _clean(report: AuditReport) -> None:
    assert report.clean, (report.differences, report.problems)
    assert report.confirmed
    assert all(entry.signature_verified for entry in report.entries)


def test_an_asset_audits_clean_and_a_tampered_directory_shows(ledger: Ledger) -> None:
    b = books(ledger, channel_twins(ledger))
    asset_id = lifecycle(b)
    ledger.milestone()
    report = b.auditor().audit_asset(asset_id)
    _clean(report)
    assert [(e.step, e.event, e.type) for e in report.entries] == [
        (step, event, "asset") for step, event in enumerate(EVENTS, start=1)
    ]
    stored = b.assets.get(asset_id)
    assert stored is not None
    b.assets.save(replace(stored, name="not what happened", version=6))  # behind the twin's back
    tampered = b.auditor().audit_asset(asset_id)
    assert not tampered.clean
    assert tampered.signatures_verified  # the ledger side is intact
    assert set(tampered.differences) >= {
        Difference("name", "not what happened", "south roof"),
        Difference("version", 6, 5),
    }


def test_an_asset_without_a_twin_or_record_is_reported(ledger: Ledger) -> None:
    b = books(ledger, channel_twins(ledger))
    report = b.auditor().audit_asset("ast-404")
    assert not report.clean
    assert report.channel_id is None
    assert any("no asset 'ast-404'" in problem for problem in report.problems)


def test_states_missed_in_a_crash_are_recorded_after_the_restart(ledger: Ledger) -> None:
    """The ledger is down while the asset changes, and the process dies with the states only
    in the recorder's queue: the restarted bid manager hands the twin every state it lacks."""
    directory, cursors = MemoryTwinDirectory(), MemoryCursorStore()
    flaky = FlakyGateway(ledger.gateway)
    first = books(
        ledger, channel_twins(ledger, directory=directory, cursors=cursors, gateway=flaky)
    )
    asset_id = first.book.register_asset(PANEL).asset.id
    flaky.compose_down = True
    first.book.disable_asset(asset_id, participant=pid(SOLAR))
    first.book.enable_asset(asset_id, participant=pid(SOLAR))
    assert first.twins.statistics()["queued"] == 2  # deferred, then lost with the process
    assert first.twins.asset_recorded_through(asset_id) == 1

    restarted = channel_twins(ledger, directory=directory, cursors=cursors)
    again = books(ledger, restarted, first.assets)  # the restart: same directories
    assert restarted.asset_recorded_through(asset_id) == 3
    ledger.milestone()
    report = again.auditor().audit_asset(asset_id)
    _clean(report)
    assert [e.event for e in report.entries] == ["registered", "disabled", "enabled"]

    count = ledger.message_count()
    books(ledger, channel_twins(ledger, directory=directory, cursors=cursors), first.assets)
    assert ledger.message_count() == count  # a second restart has nothing to record
