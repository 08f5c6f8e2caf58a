"""The audit's pure verdicts, on hand-made twins: what is clean, what is a difference, what
is a problem."""

from __future__ import annotations

from dataclasses import replace

from twins_support import EV, MARKETPLACE, SOLAR, STRANGER, pid

from plaza.market.audit.checks import check_trail, contract_report, diff_fields, order_report
from plaza.market.audit.model import Confirmation, Difference, TrailEntry, TwinTrail
from plaza.market.book.journal import ChangeReason, OrderChange
from plaza.market.contracts import SignedContract, sign_contract
from plaza.market.model import NO_REQUIREMENTS, Match, Order, OrderStatus, Side
from plaza.market.settlement import Contract, Phase, Settlement
from plaza.market.twins.documents import (
    TwinDocument,
    TwinKind,
    contract_document,
    encode_document,
    order_document,
    settlement_document,
)

KEY = MARKETPLACE.public_key.raw
CHANNEL = b"\x07" * 32
ORDER = Order(
    "ord-1",
    Side.OFFER,
    pid(SOLAR),
    "energy",
    10,
    5,
    0,
    10_000,
    None,
    (),
    NO_REQUIREMENTS,
    None,
    100,
    1,
    10,
    OrderStatus.ACTIVE,
)
MATCH = Match("mat-1", "energy", "ord-1", "ord-2", pid(SOLAR), pid(EV), 4, 5, "cda", 200, 2)
SIGNED = sign_contract(MATCH, MARKETPLACE.signing)
SETTLEMENT = Settlement(
    Contract("mat-1", pid(SOLAR), pid(EV), 4, 5, 200), Phase.CONTRACT_CREATED, 200, 9_000
)


def trail(kind: TwinKind, record: str, *documents: TwinDocument, owner: bytes = KEY) -> TwinTrail:
    entries = tuple(
        TrailEntry(position, bytes([position]) * 32, 0, encode_document(document))
        for position, document in enumerate(documents, start=1)
    )
    return TwinTrail(kind, record, CHANNEL, owner, entries)


def order_trail(*orders: Order, owner: bytes = KEY) -> TwinTrail:
    changes = [OrderChange(step, 0, o, ChangeReason.ACCEPTED) for step, o in enumerate(orders, 1)]
    return trail(TwinKind.ORDER, "ord-1", *map(order_document, changes), owner=owner)


def confirmed(twin: TwinTrail) -> dict[bytes, Confirmation]:
    return {entry.message_id: Confirmation("confirmed", 3) for entry in twin.entries}


def test_an_order_whose_twin_matches_the_database_is_clean() -> None:
    twin = order_trail(ORDER, replace(ORDER, remaining=6))
    report = order_report(check_trail(twin, KEY, confirmed(twin)), replace(ORDER, remaining=6))
    assert report.clean
    assert report.confirmed
    assert report.signatures_verified
    assert [(e.step, e.confirmation.milestone_index) for e in report.entries] == [(1, 3), (2, 3)]


def test_a_changed_database_field_is_a_difference_against_the_latest_state() -> None:
    twin = order_trail(ORDER, replace(ORDER, remaining=6))
    report = order_report(check_trail(twin, KEY, {}), replace(ORDER, remaining=6, unit_price=4))
    assert report.differences == (Difference("unit_price", 4, 5),)
    assert not report.clean
    assert not report.confirmed
    assert report.entries[0].confirmation == Confirmation("unknown")


def test_a_twin_not_announced_by_the_marketplace_is_not_verified() -> None:
    twin = order_trail(ORDER, owner=STRANGER.public_key.raw)
    report = order_report(check_trail(twin, KEY, {}), ORDER)
    assert not report.bound_to_marketplace
    assert not report.signatures_verified
    assert "not announced by the marketplace" in report.problems[0]


def test_a_document_of_another_twin_or_out_of_order_is_a_problem() -> None:
    moved = replace(order_document(OrderChange(3, 0, ORDER, ChangeReason.ACCEPTED)), twin_id="x")
    older = order_document(OrderChange(1, 0, replace(ORDER, remaining=2), ChangeReason.MATCHED))
    first = order_document(OrderChange(2, 0, ORDER, ChangeReason.ACCEPTED))
    checked = check_trail(trail(TwinKind.ORDER, "ord-1", first, moved, older), KEY, {})
    assert len(checked.problems) == 2
    assert [d.step for d in checked.documents] == [2]  # only the trustworthy one counts


def test_an_identical_rewrite_of_a_step_is_tolerated() -> None:
    document = order_document(OrderChange(1, 0, ORDER, ChangeReason.ACCEPTED))
    checked = check_trail(trail(TwinKind.ORDER, "ord-1", document, document), KEY, {})
    assert checked.problems == ()
    assert len(checked.documents) == 1
    assert len(checked.entries) == 2


def test_unreadable_content_and_missing_records_are_reported() -> None:
    twin = replace(order_trail(ORDER), entries=(TrailEntry(1, b"\x01" * 32, 0, b"{not json"),))
    report = order_report(check_trail(twin, KEY, {}), None)
    assert report.problems
    assert report.entries[0].step is None
    empty = TwinTrail(TwinKind.ORDER, "ord-1", None, None, problems=("no twin key",))
    assert order_report(check_trail(empty, KEY, {}), ORDER).differences == (
        Difference("order", "present", None),
    )


def contract_twin(*extra: TwinDocument, signed: SignedContract = SIGNED) -> TwinTrail:
    document = contract_document(
        signed, twin_kind=TwinKind.CONTRACT, twin_id="mat-1", step=1, at_ms=200
    )
    return trail(TwinKind.CONTRACT, "mat-1", document, *extra)


def party_twin(party: str) -> TwinTrail:
    document = contract_document(
        SIGNED, twin_kind=TwinKind.PARTICIPANT, twin_id=party, step=1, at_ms=200
    )
    return trail(TwinKind.PARTICIPANT, party, document)


def test_a_contract_signed_recorded_and_settled_as_in_the_database_is_clean() -> None:
    twin = contract_twin(settlement_document(SETTLEMENT, "open", 200))
    parties = {p: check_trail(party_twin(p), KEY, {}) for p in (pid(SOLAR), pid(EV))}
    report = contract_report(
        check_trail(twin, KEY, {}), SETTLEMENT, KEY, party_trails=parties, payment=None
    )
    assert report.clean, (report.differences, report.problems)
    assert report.contract_signature_valid
    assert report.contract_matches_database
    assert dict(report.on_party_twins) == {pid(SOLAR): True, pid(EV): True}


def test_a_forged_contract_or_a_tampered_settlement_is_caught() -> None:
    forged = replace(SIGNED, match=replace(MATCH, unit_price=1))
    twin = contract_twin(settlement_document(SETTLEMENT, "open", 200), signed=forged)
    tampered = replace(SETTLEMENT, reminders=2)
    report = contract_report(
        check_trail(twin, KEY, {}),
        tampered,
        KEY,
        party_trails={pid(SOLAR): check_trail(party_twin(pid(SOLAR)), KEY, {})},
        payment=None,
    )
    assert report.contract_signature_valid is False
    assert not report.contract_matches_database
    assert Difference("contract.unit_price", 5, 1) in report.differences
    assert Difference("settlement.reminders", 2, 0) in report.differences
    assert dict(report.on_party_twins) == {pid(SOLAR): False}  # a different contract there
    assert not report.clean


def test_a_contract_missing_from_its_twin_or_the_database_is_a_difference() -> None:
    no_contract = trail(TwinKind.CONTRACT, "mat-1", settlement_document(SETTLEMENT, "open", 1))
    report = contract_report(
        check_trail(no_contract, KEY, {}), SETTLEMENT, KEY, party_trails={}, payment=None
    )
    assert "not on its twin" in report.problems[0]
    assert Difference("contract", "present", None) in report.differences
    lost = contract_report(
        check_trail(contract_twin(), KEY, {}), None, KEY, party_trails={}, payment=None
    )
    assert Difference("contract", None, "present") in lost.differences


def test_diff_fields_names_every_differing_field() -> None:
    assert diff_fields({"a": 1, "b": 2}, {"a": 1, "c": 3}, "x.") == [
        Difference("x.b", 2, None),
        Difference("x.c", None, 3),
    ]
