"""A product order as JSON and back, for durable stores (every field, every step).

A step is a list; ``part`` came last and later, so a step stored before it
(eight fields) reads as a closing or no payment, as it was.
"""

from __future__ import annotations

import json
from typing import Any

from plaza.telco.orders import OrderState, ProductOrder, Step
from plaza.telco.terms import Window

__all__ = ["decode_order", "encode_order"]


def encode_order(order: ProductOrder) -> str:
    body: dict[str, Any] = {
        "id": order.id,
        "offer": order.offer_id,
        "request": order.request_id,
        "contract": order.contract_id,
        "asset": order.asset_id,
        "customer": order.customer,
        "seller": order.seller,
        "orchestrator": order.orchestrator,
        "window": [order.window.start_ms, order.window.end_ms],
        "price": order.price,
        "hold": order.hold_id,
        "steps": [
            [
                s.event,
                s.at_ms,
                s.by,
                s.state.value,
                s.to_payee,
                s.message_id,
                s.settlement,
                s.sent,
                s.part,
            ]
            for s in order.steps
        ],
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def decode_order(text: str) -> ProductOrder:
    body = json.loads(text)
    steps = tuple(_step(*fields) for fields in body["steps"])
    return ProductOrder(
        body["id"],
        body["offer"],
        body["request"],
        body["contract"],
        body["asset"],
        body["customer"],
        body["seller"],
        body["orchestrator"],
        Window(*body["window"]),
        body["price"],
        body["hold"],
        steps,
    )


def _step(  # noqa: PLR0917  # one stored list's fields, in order
    event: str,
    at_ms: int,
    by: str,
    state: str,
    to_payee: int | None,
    message_id: str,
    settlement: str,
    sent: bool,
    part: bool = False,
) -> Step:
    return Step(event, at_ms, by, OrderState(state), to_payee, message_id, settlement, sent, part)
