"""Why a bid of a ``/match`` can never be contracted, and the one refusal that says so.

The bid manager acts on the refusal's ``details["dead"]`` (``offer:<id>``,
``request:<id>``), never on its wording, so these rules decide which bids it
drops and which it puts back on its book.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plaza.energy.backend.model import TransactionRecord, id_field, seed_bid
from plaza.energy.errors import EnergyError, InvalidMessage, UnknownRecord, WrongState
from plaza.energy.model import TransactionStatus, TransactionType

__all__ = ["DeadBid", "bid_of", "refuse_dead_bids", "why_dead"]


def bid_of(body: Mapping[str, Any], side: TransactionType) -> Mapping[str, Any]:
    """The ``side`` bid of a ``/match`` body, with its transaction id."""
    bid, name = body.get(str(side)), id_field(side)
    if not isinstance(bid, Mapping) or not isinstance(bid.get(name), str):
        raise InvalidMessage(f"{side} must be a bid with {name}")
    return bid


#: How a bid of a ``/match`` is refused, why, and its name (``offer:<id>``, ``request:<id>``).
DeadBid = tuple[type[EnergyError], str, str]


def why_dead(
    side: TransactionType, bid: Mapping[str, Any], record: TransactionRecord | None
) -> DeadBid | None:
    """Why the ``side`` bid of a ``/match`` can never be contracted, or None."""
    name = f"{side}:{bid[id_field(side)]}"
    if record is None:
        return UnknownRecord, f"no {side} {bid[id_field(side)]!r}", name
    if dict(bid) != seed_bid(record.first):
        return InvalidMessage, f"the {side} bid differs from the {side} received", name
    if record.contract_id or record.latest.status is TransactionStatus.CANCELLED:
        state = record.contract_id or "cancelled"
        return WrongState, f"{record.record_id} is no longer open ({state})", name
    return None


def refuse_dead_bids(dead: list[DeadBid]) -> EnergyError:
    """One refusal of a ``/match`` for all its dead bids: of the first one's kind, giving
    every reason, naming each bid once in ``details["dead"]``."""
    kind = dead[0][0]
    names = list(dict.fromkeys(name for _, _, name in dead))
    return kind("; ".join(reason for _, reason, _ in dead), details={"dead": names})
