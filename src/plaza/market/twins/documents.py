"""What a digital twin holds: one signed JSON document per state a record went through.

A twin is a restricted channel the marketplace owns (see :mod:`plaza.market.twins.recorder`).
Each data message on it is one document, the canonical JSON of::

    {"schema": "plaza-twin-v1", "twin_kind": "order", "twin_id": "ord-7",
     "type": "order", "record": "ord-7", "step": 12, "at_ms": 1767225600000,
     "body": {...the state's fields...}}

``twin_kind``/``twin_id`` name the twin the document was written to and
``type``/``record`` what it is about: an order state on an order's twin, an
asset state (``type`` ``asset``) on the asset's twin, the signed contract
(``type`` ``contract``) on the contract's twin and on each party's participant
twin, and settlement states (``type`` ``settlement``) on the contract's twin.
Naming the twin inside the signed content means a document copied to another
twin is caught by an auditor. ``step`` increases along a twin:

* order twin: the bid manager's journal step of each state;
* asset twin: the asset's version (1 when registered, one more per change);
* contract twin: 1 for the signed contract, then ``version + 2`` for the
  settlement state saved at that version (``open`` is version 0);
* participant twin: 1, 2, 3... one per contract recorded on it;
* orders twin: a vertical's orders channel, one per marketplace and vertical
  (``twin_id`` the vertical's name), holding each state of each of its orders
  (``type`` ``product_order``, ``record`` ``<order id>/<n>`` for the order's
  n-th step); 1, 2, 3... in the order they reach the channel.

The channel signs every message with the channel key and the channel is
announced under the marketplace's identity, so the documents carry no signature
of their own; the contract document carries the marketplace's contract signature.
JSON keeps integers exact (money is never a float) and is readable by auditors.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any

from plaza.market.book.codec import asset_fields, order_fields
from plaza.market.book.journal import OrderChange
from plaza.market.contracts import SignedContract
from plaza.market.model import Asset
from plaza.market.settlement import Settlement

__all__ = [
    "CONTRACT_STEP",
    "SCHEMA",
    "DocumentType",
    "InvalidTwinDocument",
    "TwinDocument",
    "TwinKind",
    "asset_document",
    "asset_fields",
    "contract_document",
    "decode_document",
    "encode_document",
    "order_document",
    "order_fields",
    "settlement_document",
    "settlement_fields",
    "settlement_step",
    "signed_contract_of",
]

SCHEMA = "plaza-twin-v1"
#: The step of the signed contract on its own twin; settlement states follow it.
CONTRACT_STEP = 1


class TwinKind(enum.StrEnum):
    """Whose twin a channel is: one per order, per asset, per contract and per participant;
    and a vertical's orders channel (``orders``), one per vertical."""

    ORDER = "order"
    CONTRACT = "contract"
    PARTICIPANT = "participant"
    ASSET = "asset"
    ORDERS = "orders"


class DocumentType(enum.StrEnum):
    ORDER = "order"  # an order's state after a journal step
    CONTRACT = "contract"  # the marketplace-signed contract
    SETTLEMENT = "settlement"  # a contract's settlement state after a save
    ASSET = "asset"  # an asset's state, one per version
    PRODUCT_ORDER = "product_order"  # a vertical's order after one of its steps


class InvalidTwinDocument(ValueError):
    """Channel content that is not a twin document of this schema."""


@dataclass(frozen=True, slots=True)
class TwinDocument:
    twin_kind: TwinKind
    twin_id: str
    type: DocumentType
    record: str
    step: int
    at_ms: int
    body: dict[str, Any] = field(default_factory=dict)


def encode_document(document: TwinDocument) -> bytes:
    """Canonical JSON (sorted keys, no spaces): equal documents have equal bytes."""
    return json.dumps(
        {
            "schema": SCHEMA,
            "twin_kind": document.twin_kind.value,
            "twin_id": document.twin_id,
            "type": document.type.value,
            "record": document.record,
            "step": document.step,
            "at_ms": document.at_ms,
            "body": document.body,
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def decode_document(content: bytes) -> TwinDocument:
    """A document from channel content; :class:`InvalidTwinDocument` if it is not one."""
    try:
        data = json.loads(content)
        if data["schema"] != SCHEMA:
            raise InvalidTwinDocument(f"unknown schema {data['schema']!r}")
        document = TwinDocument(
            TwinKind(data["twin_kind"]),
            str(data["twin_id"]),
            DocumentType(data["type"]),
            str(data["record"]),
            data["step"],
            data["at_ms"],
            data["body"],
        )
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidTwinDocument(f"not a twin document: {type(error).__name__}") from None
    if not isinstance(document.step, int) or not isinstance(document.body, dict):
        raise InvalidTwinDocument("step must be an integer and body an object")
    return document


def order_document(change: OrderChange) -> TwinDocument:
    """The twin document of one order change: its state, why, and the matches behind it."""
    order = change.order
    body = {
        "order": order_fields(order),
        "reason": change.reason.value,
        "match_ids": list(change.match_ids),
    }
    return TwinDocument(
        TwinKind.ORDER, order.id, DocumentType.ORDER, order.id, change.step, change.at_ms, body
    )


def asset_document(asset: Asset) -> TwinDocument:
    """The twin document of one asset state: the state and the event that made it."""
    body = {"asset": asset_fields(asset), "event": asset.event.value}
    return TwinDocument(
        TwinKind.ASSET,
        asset.id,
        DocumentType.ASSET,
        asset.id,
        asset.version,
        asset.updated_at_ms,
        body,
    )


def contract_document(
    contract: SignedContract, *, twin_kind: TwinKind, twin_id: str, step: int, at_ms: int
) -> TwinDocument:
    """The signed contract as written to its own twin or to a party's twin."""
    body = {"terms": contract.terms(), "signature": contract.signature.hex()}
    return TwinDocument(
        twin_kind, twin_id, DocumentType.CONTRACT, contract.match.id, step, at_ms, body
    )


def signed_contract_of(body: dict[str, Any]) -> SignedContract:
    """The contract a contract document carries, ready for ``check_signature``."""
    try:
        return SignedContract.from_terms(body["terms"], bytes.fromhex(body["signature"]))
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidTwinDocument(f"not a contract body: {type(error).__name__}") from None


def settlement_fields(settlement: Settlement) -> dict[str, Any]:
    """A settlement's state as JSON-ready values; the payment as its message id and amount."""
    contract, payment = settlement.contract, settlement.payment
    return {
        "contract_id": contract.id,
        "provider": contract.provider,
        "consumer": contract.consumer,
        "quantity": contract.quantity,
        "unit_price": contract.unit_price,
        "created_at_ms": contract.created_at_ms,
        "phase": settlement.phase.value,
        "deadline_ms": settlement.deadline_ms,
        "reminders": settlement.reminders,
        "updated_at_ms": settlement.updated_at_ms,
        "version": settlement.version,
        "payment_message_id": None if payment is None else payment.message_id.hex(),
        "payment_amount": None if payment is None else payment.amount,
    }


def settlement_step(settlement: Settlement) -> int:
    """The contract-twin step of a settlement state: after the contract document (step 1)."""
    return settlement.version + CONTRACT_STEP + 1


def settlement_document(settlement: Settlement, event: str, at_ms: int) -> TwinDocument:
    body = {"event": event, "settlement": settlement_fields(settlement)}
    return TwinDocument(
        TwinKind.CONTRACT,
        settlement.id,
        DocumentType.SETTLEMENT,
        settlement.id,
        settlement_step(settlement),
        at_ms,
        body,
    )
