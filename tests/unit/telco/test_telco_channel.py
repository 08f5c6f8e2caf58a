"""The telco orders channel: each step of an order as a document linking it to its offer and
request, and the auditor's verdict of an order against what the channel holds."""

from __future__ import annotations

from dataclasses import replace

from plaza.market.audit.checks import CheckedTrail, check_trail
from plaza.market.audit.model import Confirmation, TrailEntry, TwinTrail
from plaza.market.twins.documents import TwinDocument, TwinKind, encode_document
from plaza.telco.channel import CHANNEL, step_documents, verify
from plaza.telco.orders import ProductOrder
from plaza.telco.terms import Window

HOUR = 3_600_000
MARKET = b"m" * 32
CHANNEL_ID = b"c" * 32


def _order() -> ProductOrder:
    """The service provider's order, confirmed, access configured half way through its
    window (paying the half served, in part): three steps."""
    order = ProductOrder(
        "o1", "off", "req", "", "a1", "sp", "op", "orch", Window(HOUR, 2 * HOUR), 900, "ab" * 32
    )
    return order.placed(0).confirm("op", 10, "c1").access_configured("orch", HOUR + HOUR // 2)


def _written(documents: list[TwinDocument]) -> list[TwinDocument]:
    """The documents as the outbox writes them: each takes the channel's next step."""
    return [replace(document, step=number) for number, document in enumerate(documents, 1)]


def _checked(
    documents: list[TwinDocument], *, unconfirmed: int | None = None, owner: bytes = MARKET
) -> CheckedTrail:
    entries = tuple(
        TrailEntry(position, bytes([position]) * 32, 0, encode_document(document))
        for position, document in enumerate(documents)
    )
    trail = TwinTrail(TwinKind.ORDERS, CHANNEL, CHANNEL_ID, owner, entries)
    confirmations = {
        entry.message_id: Confirmation("pending" if entry.position == unconfirmed else "confirmed")
        for entry in entries
    }
    return check_trail(trail, MARKET, confirmations)


def test_each_step_links_the_order_to_its_offer_and_request() -> None:
    order = _order()
    documents = step_documents(order)
    assert [d.record for d in documents] == ["o1/1", "o1/2", "o1/3"]
    assert {(d.twin_kind, d.twin_id) for d in documents} == {(TwinKind.ORDERS, CHANNEL)}
    bodies = [d.body for d in documents]
    assert {(b["offer"], b["request"], b["asset"]) for b in bodies} == {("off", "req", "a1")}
    assert [b["event"] for b in bodies] == ["placed", "confirmed", "accessConfigured"]
    assert [b["contract"] for b in bodies] == ["", "c1", "c1"]  # made at the confirmation
    assert [b["hold"] for b in bodies] == ["ab" * 32] * 3  # the customer's, from its placing
    assert [b["to_payee"] for b in bodies] == [None, None, 450]
    assert [b.get("part") for b in bodies] == [None, None, True]  # the hold stays open
    assert step_documents(order) == documents  # staged again: the very same documents


def test_an_order_all_on_the_channel_and_confirmed_is_verified() -> None:
    order = _order()
    other = ProductOrder(
        "o2", "off2", "req2", "", "a1", "sp", "op", "orch", Window(HOUR, 2 * HOUR), 5, "cd" * 32
    ).placed(1)
    mine, theirs = step_documents(order), step_documents(other)
    verdict = verify(order, _checked(_written([mine[0], *theirs, mine[1], mine[2]])))
    assert verdict.verified, verdict.problems
    assert [entry.body["number"] for entry in verdict.entries] == [1, 2, 3]
    assert [entry.position for entry in verdict.entries] == [0, 2, 3]


def test_a_step_missing_altered_unconfirmed_or_foreign_is_found() -> None:
    order = _order()
    documents = step_documents(order)
    missing = verify(order, _checked(_written(documents[:2])))
    assert missing.problems == ("step 3 (accessConfigured) is not on the orders channel",)
    forged = [*documents[:2], replace(documents[2], body={**documents[2].body, "to_payee": 1})]
    altered = verify(order, _checked(_written(forged)))
    assert altered.problems == ("step 3 differs from the order in to_payee",)
    pending = verify(order, _checked(_written(documents), unconfirmed=1))
    assert not pending.verified
    assert "step 2" in pending.problems[0]
    assert "not confirmed" in pending.problems[0]
    foreign = verify(order, _checked(_written(documents), owner=b"x" * 32))
    assert foreign.problems == ("the twin's channel is not announced by the marketplace identity",)
    earlier = replace(order, steps=order.steps[:2])  # a database that lost a step
    extra = verify(earlier, _checked(_written(documents)))
    assert extra.problems == ("the channel holds 1 steps the order lacks",)
