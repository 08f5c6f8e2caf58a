"""The telco orders channel: every step of every order, signed, on one channel on the ledger.

The seed's "orders MAM channel" links each order to its offer and request. Here it
is the marketplace's twin of kind ``orders`` named ``telco`` (one per marketplace),
written through the market's twin outbox like the asset, order and contract twins:
a restricted channel the marketplace owns and signs, announced under its identity,
its read-only key sealed to the auditors the marketplace is configured with. Each
step of an order is one document (``product_order``, record ``<order id>/<n>``):
the order's links (offer, request, asset, parties, orchestrator, window, price;
the contract and the hold once they exist) and the step (event, time, by whom,
the state it made, what the hold paid the asset provider if the step closed it).
The documents are deterministic, so staging an order's steps again (after a
restart) adds nothing.

:func:`verify` is the auditor's check of one order against the channel: each step
of the order's trail on it, equal field by field, in order, confirmed on the
ledger, on a channel the marketplace announced; nothing else of the order there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from plaza.market.audit.checks import CheckedTrail
from plaza.market.twins.documents import DocumentType, TwinDocument, TwinKind
from plaza.market.twins.outbox import NEXT_STEP
from plaza.telco.orders import ProductOrder, Step

__all__ = ["CHANNEL", "ChannelEntry", "Verdict", "step_documents", "verify"]

#: The orders channel's twin id (its kind is ``orders``).
CHANNEL = "telco"


def _record(order: ProductOrder, number: int) -> str:
    return f"{order.id}/{number}"


def _body(order: ProductOrder, number: int, step: Step) -> dict[str, Any]:
    """One step and the order's links as they stood after it: the contract once confirmed,
    the hold once the order carries it (the customer's order from its placing)."""
    confirmed = order.confirmed_at is not None and step.event != "placed"
    carries_hold = confirmed or order.placed_by == order.customer
    return {
        "order": order.id,
        "offer": order.offer_id,
        "request": order.request_id,
        "asset": order.asset_id,
        "customer": order.customer,
        "seller": order.seller,
        "orchestrator": order.orchestrator,
        "window": {"start_ms": order.window.start_ms, "end_ms": order.window.end_ms},
        "price": order.price,
        "contract": order.contract_id if confirmed else "",
        "hold": order.hold_id if carries_hold else "",
        "number": number,
        "event": step.event,
        "at_ms": step.at_ms,
        "by": step.by,
        "state": step.state.value,
        "to_payee": step.to_payee,
        **({"part": True} if step.part else {}),  # a part payment; absent on other steps
    }


def step_documents(order: ProductOrder) -> list[TwinDocument]:
    """Each step of ``order`` as a document of the orders channel (its step on the channel
    is given when it is written)."""
    return [
        TwinDocument(
            TwinKind.ORDERS,
            CHANNEL,
            DocumentType.PRODUCT_ORDER,
            _record(order, number),
            NEXT_STEP,
            step.at_ms,
            _body(order, number, step),
        )
        for number, step in enumerate(order.steps, start=1)
    ]


@dataclass(frozen=True, slots=True)
class ChannelEntry:
    """One step of an order as the orders channel holds it."""

    position: int
    message_id: str
    confirmed: bool
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Verdict:
    """An order checked against the orders channel; ``verified`` only if nothing is wrong."""

    channel_id: str | None
    entries: tuple[ChannelEntry, ...]
    problems: tuple[str, ...]

    @property
    def verified(self) -> bool:
        return self.channel_id is not None and not self.problems


def _entries(checked: CheckedTrail, order_id: str) -> list[ChannelEntry]:
    """The channel's entries of one order, in position order, with their documents."""
    documents = {
        document.record: document
        for document in checked.documents
        if document.type is DocumentType.PRODUCT_ORDER
    }
    found: list[ChannelEntry] = []
    for entry in checked.entries:
        document = documents.get(entry.record or "")
        if document is None or document.body.get("order") != order_id:
            continue
        if any(seen.body == document.body for seen in found):
            continue  # the same document written twice: one step
        confirmed = entry.confirmation.confirmed
        found.append(ChannelEntry(entry.position, entry.message_id.hex(), confirmed, document.body))
    return found


def verify(order: ProductOrder, checked: CheckedTrail) -> Verdict:
    """Whether the orders channel holds exactly the order's steps, confirmed."""
    found = _entries(checked, order.id)
    problems = list(checked.problems) if checked.trail.channel_id is not None else []
    if checked.trail.channel_id is None:
        problems.append("the orders channel is not readable with the marketplace's keys")
    expected = [document.body for document in step_documents(order)]
    problems.extend(_differences(expected, found))
    channel = checked.trail.channel_id
    return Verdict(None if channel is None else channel.hex(), tuple(found), tuple(problems))


def _differences(expected: list[dict[str, Any]], found: Iterable[ChannelEntry]) -> list[str]:
    found = list(found)
    problems: list[str] = []
    for index, wanted in enumerate(expected):
        if index >= len(found):
            problems.append(f"step {index + 1} ({wanted['event']}) is not on the orders channel")
            continue
        entry = found[index]
        if entry.body != wanted:
            names = sorted(
                k for k in set(wanted) | set(entry.body) if entry.body.get(k) != wanted.get(k)
            )
            problems.append(f"step {index + 1} differs from the order in {', '.join(names)}")
        if not entry.confirmed:
            problems.append(f"step {index + 1} (message {entry.message_id}) is not confirmed")
    if len(found) > len(expected):
        problems.append(f"the channel holds {len(found) - len(expected)} steps the order lacks")
    return problems
