"""The marketplace on a real ledger, end to end, then audited.

An offer and a request match; the contract is signed and recorded; the provider
delivers and asks for payment; the consumer's agent pays from its device (funded
from its owner); a milestone confirms; the contract is fulfilled. Every step is on
a twin on the ledger, and an auditor holding only the keys sealed to its inbox
finds every signature valid, every message confirmed and no difference from the
database. Auditing changes nothing. Then the database is tampered with, and the
audit says where.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from plaza.adapters.ledger.local import LocalLedger
from plaza.channels.cursors import SqliteCursorStore
from plaza.crypto import EncryptionKey, Identity, SigningKey
from plaza.market.audit.channels import ChannelTrails, InboxTwinKeys
from plaza.market.audit.service import Auditor, AuditReport, BookAndSettlements, Difference
from plaza.market.auth import MemoryParticipantStore, Participant, Principal, Role
from plaza.market.auth import participant_id_for as pid_of
from plaza.market.book.service import BidManager
from plaza.market.book.sqlite import SqliteBookStore
from plaza.market.contracts import ContractDesk
from plaza.market.marketplace import Marketplace
from plaza.market.model import NewOrder, Side
from plaza.market.payments.service import DeviceAccount, KeyFunder, LedgerPayments
from plaza.market.settlement import Phase, SettlementPolicy, SettlementService
from plaza.market.sql import SqlSettlementStore, make_engine, sqlite_url, upgrade_schema
from plaza.market.sql.twin_store import SqlTwinDirectory
from plaza.market.twins.lookup import ParticipantKeys
from plaza.market.twins.recorder import ChannelTwins
from plaza.testing.builders import key_from_number
from plaza.testing.nodes import InProcessNode, in_process_node

HOUR_MS = 3_600_000


def identity(number: int) -> Identity:
    return Identity(SigningKey(bytes([number]) * 32), EncryptionKey(bytes([number + 100]) * 32))


MARKETPLACE, SOLAR, EV, AUDITOR = identity(30), identity(31), identity(32), identity(33)
OWNER = key_from_number(40)  # EV's owner: funds the charger's device address


def participant(who: Identity, role: Role) -> Participant:
    return Participant(
        pid_of(who.public_key),
        who.public_key,
        who.encryption.public_key,
        f"participant {role.value}",
        frozenset({role}),
        0,
    )


@dataclass
class World:
    node: InProcessNode
    engine: Engine
    paths: dict[str, Path]
    book: BidManager
    journal: SqliteBookStore
    cursors: SqliteCursorStore
    twins: ChannelTwins
    directory: SqlTwinDirectory
    settlements: SqlSettlementStore
    settlement: SettlementService
    market: Marketplace
    participants: MemoryParticipantStore

    def principal(self, who: Identity) -> Principal:
        found = self.participants.get(pid_of(who.public_key))
        assert found is not None
        return Principal.of_participant(found)

    def auditor(self, book: BidManager | None = None) -> Auditor:
        gateway = self.node.gateway
        keys = InboxTwinKeys(gateway, AUDITOR.encryption, MARKETPLACE.public_key.raw)
        return Auditor(
            ChannelTrails(gateway, keys),
            LocalLedger(self.node.runtime),
            BookAndSettlements(book or self.book, self.settlements),
            marketplace_key=MARKETPLACE.public_key.raw,
        )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    paths = {name: tmp_path / f"{name}.sqlite" for name in ("market", "journal", "cursors")}
    engine = make_engine(sqlite_url(paths["market"]))
    upgrade_schema(engine)
    participants = MemoryParticipantStore()
    participants.add(participant(SOLAR, Role.PROVIDER))
    participants.add(participant(EV, Role.CONSUMER))
    with in_process_node(network="plaza-audit-e2e") as node:
        node.runtime.submit(_transfer(node, node.treasury, OWNER, 1_000_000))
        node.milestone()
        cursors, journal = SqliteCursorStore(paths["cursors"]), SqliteBookStore(paths["journal"])
        directory = SqlTwinDirectory(engine)
        twins = ChannelTwins(
            identity=MARKETPLACE,
            gateway=node.gateway,
            cursors=cursors,
            directory=directory,
            clock=node.clock,
            parties=ParticipantKeys(participants),
            auditors=[AUDITOR.encryption.public_key],
            cursor_store=str(paths["cursors"]),
        )
        port = LocalLedger(node.runtime)
        payments = LedgerPayments(port, [DeviceAccount(EV.signing, KeyFunder(OWNER, port))])
        settlements = SqlSettlementStore(engine)
        settlement = SettlementService(
            settlements, payments, node.clock, listener=twins, policy=SettlementPolicy(batch_size=5)
        )
        book = BidManager(journal, clock=node.clock, policy="one_to_one", twins=twins)
        desk = ContractDesk(MARKETPLACE.signing, settlement, twins=twins)
        market = Marketplace(book=book, journal=journal, desk=desk, settlement=settlement)
        try:
            yield World(
                node,
                engine,
                paths,
                book,
                journal,
                cursors,
                twins,
                directory,
                settlements,
                settlement,
                market,
                participants,
            )
        finally:
            journal.close()
            cursors.close()
            engine.dispose()


def _transfer(node: InProcessNode, signer: SigningKey, to: SigningKey, amount: int) -> bytes:
    from plaza.ledger.model import Output, TransferPayload

    payload = TransferPayload((Output(to.public_key.address.raw, amount),))
    return LocalLedger(node.runtime).compose(signer, payload).raw


def trade(w: World) -> tuple[str, str, str]:
    """Offer, request, contract, delivery, payment request, payment queue, confirmation."""
    now = w.node.clock.now_ms()
    solar, ev = w.principal(SOLAR), w.principal(EV)
    offer = w.market.submit_order(
        solar, NewOrder(Side.OFFER, pid_of(SOLAR.public_key), "energy", 50, 9, now, now + HOUR_MS)
    )
    outcome = w.market.submit_order(
        ev, NewOrder(Side.REQUEST, pid_of(EV.public_key), "energy", 20, 10, now, now + HOUR_MS)
    )
    [contract] = outcome.contracts
    contract_id = contract.match.id
    w.node.clock.advance(seconds=30)
    w.market.report_delivery(solar, contract_id)
    w.market.request_payment(solar, contract_id)
    assert w.settlement.process_payment_queue(pid_of(EV.public_key)) == 1
    w.node.milestone()
    w.node.clock.advance(seconds=1)
    w.market.run_periodic()
    w.node.milestone()  # confirms the last twin states too
    return offer.order.id, outcome.order.id, contract_id


def assert_verified(report: AuditReport) -> None:
    assert report.clean, (report.differences, report.problems)
    assert report.signatures_verified
    assert report.confirmed, [entry.confirmation for entry in report.entries]
    assert all(entry.confirmation.milestone_index for entry in report.entries)


def snapshot(w: World) -> dict[str, Any]:
    """Everything an audit could conceivably change: ledger, stores, recorder."""
    with w.engine.connect() as conn:
        rows = {
            table: conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all()
            for table in ("settlements", "twins", "twin_progress")
        }
    cursors = {cid: w.cursors.load(cid) for cid in w.cursors.channel_ids()}
    return {
        "ledger": w.node.statistics(),
        "rows": rows,
        "cursor_versions": {cid: state.version for cid, state in cursors.items() if state},
        "journal": w.journal.last_step(),
        "book": w.book.statistics(),
        "twins": w.twins.statistics(),
    }


def test_every_step_is_on_the_ledger_and_the_audit_finds_no_difference(world: World) -> None:
    w = world
    offer_id, request_id, contract_id = trade(w)
    assert w.settlements.get(contract_id) is not None
    assert w.market.settlement(w.principal(EV), contract_id).phase is Phase.FULFILLED
    solar_balance = w.node.runtime.tangle.balance(SOLAR.public_key.address.raw)
    assert solar_balance == 20 * 9  # paid once, at the offer's price

    auditor = w.auditor()
    for order_id in (offer_id, request_id):
        assert_verified(auditor.audit_order(order_id))
    report = auditor.audit_contract(contract_id)
    assert_verified(report)
    assert report.contract_signature_valid
    assert report.contract_matches_database
    assert dict(report.on_party_twins) == {
        pid_of(SOLAR.public_key): True,
        pid_of(EV.public_key): True,
    }
    assert report.payment is not None
    assert report.payment.confirmed
    assert [(entry.step, entry.event) for entry in report.entries] == [
        (1, "signed"),
        (2, "open"),
        (3, "deliver"),
        (4, "request payment"),
        (5, "prepare payment"),
        (6, "pay"),
        (7, "confirm payment"),
        (8, "fulfil"),
    ]
    offer_report = auditor.audit_order(offer_id)
    assert [entry.event for entry in offer_report.entries] == ["accepted", "matched"]


def test_an_audit_changes_nothing(world: World) -> None:
    w = world
    offer_id, _request, contract_id = trade(w)
    before = snapshot(w)
    auditor = w.auditor()
    auditor.audit_order(offer_id)
    auditor.audit_contract(contract_id)
    auditor.audit_order("ord-404")
    assert snapshot(w) == before


def test_a_tampered_database_shows_in_the_audit(world: World) -> None:
    w = world
    offer_id, _request, contract_id = trade(w)
    with w.engine.begin() as conn:
        conn.execute(
            text("UPDATE settlements SET reminders = 2, unit_price = 8 WHERE contract_id = :id"),
            {"id": contract_id},
        )
    report = w.auditor().audit_contract(contract_id)
    assert not report.clean
    assert report.signatures_verified  # the ledger side is intact: the database is not
    assert report.contract_matches_database is False
    assert set(report.differences) >= {
        Difference("contract.unit_price", 8, 9),
        Difference("settlement.unit_price", 8, 9),
        Difference("settlement.reminders", 2, 0),
    }

    journal = sqlite3.connect(w.paths["journal"])
    with journal:
        journal.execute(
            "UPDATE market_journal SET entry = replace(entry, "
            "'\"unit_price\":9', '\"unit_price\":7') WHERE step = 1"
        )
    journal.close()
    store = SqliteBookStore(w.paths["journal"])
    try:
        reopened = BidManager(store, clock=w.node.clock, policy="one_to_one")
        order_report = w.auditor(reopened).audit_order(offer_id)
    finally:
        store.close()
    assert Difference("unit_price", 7, 9) in order_report.differences
    assert order_report.signatures_verified
