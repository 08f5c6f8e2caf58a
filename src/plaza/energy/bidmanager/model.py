"""The bid manager's bids: the seed's bid fields, checked, and what became of each.

A bid is one offer or request as the marketplace forwards it. It lives on the
order book as one *order* at a time, which carries the seed's fields as its
attributes: when a policy consumes an order without making a seed contract of it
(the offer was already contracted, say), the bid goes back on the book as a fresh
order, its next *generation*. Each generation's order is submitted under the
idempotency key ``<bid key>#<generation>``, so the book finds a bid's orders and an
order names its bid. What the book cannot say (the bid was contracted, removed or
closed, and why) is a :class:`BidRecord` in
:class:`~plaza.energy.bidmanager.ports.BidStore`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from plaza.energy.errors import Details, InvalidMessage
from plaza.energy.model import MAX_ENERGY_WH, MAX_PRICE, TransactionType
from plaza.market.model import Attributes, NewOrder, Order, Side, attributes

__all__ = [
    "ENERGY",
    "SEED_FIELDS",
    "Bid",
    "BidRecord",
    "BidState",
    "bid_key",
    "dead_bids",
    "match_key",
    "order_key",
    "removal_key",
    "transaction_of",
]

#: The kind of good every energy bid is on the book.
ENERGY = "energy"

#: The seed's bid fields per side, in its order: all the bid manager keeps and passes on.
SEED_FIELDS = {
    TransactionType.OFFER: (
        "providerId",
        "providerTransactionId",
        "energyAmount",
        "energyPrice",
        "type",
        "walletAddress",
        "timestamp",
        "additionalDetails",
    ),
    TransactionType.REQUEST: (
        "requesterId",
        "requesterTransactionId",
        "energyAmount",
        "energyPrice",
        "type",
        "timestamp",
        "additionalDetails",
    ),
}
_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_MAX_TEXT = 256


class BidState(enum.StrEnum):
    OPEN = "open"  # on the book
    CONTRACTED = "contracted"  # sent to the marketplace as half of a match
    REMOVED = "removed"  # the marketplace removed it (its asset cancelled)
    CLOSED = "closed"  # expired, or split by a policy: it cannot become a seed contract


def bid_key(side: TransactionType, transaction_id: str) -> str:
    return f"{side}:{transaction_id}"


def order_key(key: str, generation: int) -> str:
    """The idempotency key a bid's order of this generation is submitted with."""
    return f"{key}#{generation}"


def transaction_of(order: Order) -> tuple[TransactionType, str] | None:
    """The side and transaction id of the bid an order stands for; None if it is no bid."""
    side = TransactionType(str(order.side))
    transaction_id = _transaction_id(dict(order.attributes), side)
    return None if transaction_id is None else (side, transaction_id)


def match_key(body: Mapping[str, Any], side: TransactionType) -> str | None:
    """The key of the bid of ``side`` in a ``/match`` body, or None."""
    fields = body.get(str(side))
    transaction_id = _transaction_id(fields, side) if isinstance(fields, Mapping) else None
    return None if transaction_id is None else bid_key(side, transaction_id)


def removal_key(body: Mapping[str, Any]) -> str:
    """The key of the bid a ``/remove`` names; :class:`InvalidMessage` says what is wrong."""
    kind = body.get("type")
    if kind not in tuple(TransactionType):
        raise InvalidMessage("type must be 'offer' or 'request'")
    side = TransactionType(kind)
    name = SEED_FIELDS[side][1]
    transaction_id = body.get(name)
    if not isinstance(transaction_id, str) or not transaction_id:
        raise InvalidMessage(f"a removal of an {side} names its {name}")
    return bid_key(side, transaction_id)


def _transaction_id(fields: Mapping[str, Any], side: TransactionType) -> str | None:
    value = fields.get(SEED_FIELDS[side][1])
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class Bid:
    side: TransactionType
    asset_id: str
    transaction_id: str
    energy: int  # Wh
    price: int  # base units per kWh
    timestamp_ms: int
    fields: dict[str, Any] = field(compare=False)  # the seed's fields, passed on in /match

    @property
    def key(self) -> str:
        return bid_key(self.side, self.transaction_id)

    @property
    def attributes(self) -> Attributes:
        """The seed's fields as its orders carry them (each a string or an integer)."""
        return attributes(self.fields)

    def new_order(self, validity_ms: int) -> NewOrder:
        """The bid as an order on the book, valid for ``validity_ms`` from its timestamp."""
        return NewOrder(
            side=Side(str(self.side)),
            owner=self.asset_id,
            kind=ENERGY,
            quantity=self.energy,
            unit_price=self.price,
            valid_from_ms=self.timestamp_ms,
            valid_until_ms=self.timestamp_ms + validity_ms,
            attributes=self.attributes,
        )

    @classmethod
    def parse(cls, body: Mapping[str, Any], side: TransactionType) -> Self:
        """A bid sent to ``/offer`` or ``/request``; :class:`InvalidMessage` says what is wrong."""
        if body.get("type") != str(side):
            raise InvalidMessage(f"/{side} takes bids of type {str(side)!r}")
        names = SEED_FIELDS[side]
        fields = {name: body[name] for name in names if name in body}
        for name in ("walletAddress", "additionalDetails"):
            if name in names:
                _text(fields, name)
        timestamp = body.get("timestamp")
        if not isinstance(timestamp, str) or not timestamp.isdigit() or len(timestamp) > 16:
            raise InvalidMessage("timestamp must be milliseconds since the epoch, as a string")
        return cls(
            side,
            _text(fields, names[0], pattern=_ID),
            _text(fields, names[1], pattern=_ID),
            _integer(fields, "energyAmount", low=1, high=MAX_ENERGY_WH),
            _integer(fields, "energyPrice", low=0, high=MAX_PRICE),
            int(timestamp),
            fields,
        )


@dataclass(frozen=True, slots=True)
class BidRecord:
    """What became of a bid: its state (and why), and the generation of its order.

    ``owner`` is its asset, under whom its orders are keyed on the book; its fields are
    those orders' attributes.
    """

    key: str
    owner: str
    state: BidState = BidState.OPEN
    generation: int = 0
    reason: str = ""


def _text(data: Mapping[str, Any], name: str, *, pattern: re.Pattern[str] | None = None) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or len(value) > _MAX_TEXT:
        raise InvalidMessage(f"{name} must be a string of at most {_MAX_TEXT} characters")
    if pattern is not None and not pattern.fullmatch(value):
        raise InvalidMessage(f"{name} must be an identifier, got {value!r}")
    return value


def _integer(data: Mapping[str, Any], name: str, *, low: int, high: int) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidMessage(f"{name} must be an integer from {low} to {high}")
    return value


def dead_bids(details: Details) -> set[str]:
    """The keys of the bids a marketplace refusal of their ``/match`` names as dead.

    The marketplace's details: ``{"dead": ["offer:<providerTransactionId>",
    "request:<requesterTransactionId>"]}``, either or both; none without details.
    """
    named = details.get("dead", [])
    return {named} if isinstance(named, str) else set(named)
