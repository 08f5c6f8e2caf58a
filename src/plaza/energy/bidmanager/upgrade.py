"""The bids a previous version of the bid manager kept in its own tables, carried over.

That version kept each bid's fields and order id in its ``bids`` table and booked orders
without attributes, so the book of today does not know which bid those orders stand
for: a match or an expiry of one would go unheard. When the bid manager starts on such a
file, each bid still open there is booked again as its next generation, its fields as
the order's attributes (its old order withdrawn, if still open); the others keep their
state and reason. The new records and the old tables' drop land in one transaction of
the bid manager's tables; the book keeps its own journal, so a crash before that commit
runs the upgrade again, and each order booked the first time is found by its key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from plaza.energy.bidmanager.model import Bid, BidRecord, BidState
from plaza.energy.bidmanager.ports import BidStore
from plaza.energy.model import TransactionType
from plaza.market.model import NewOrder

__all__ = ["CARRIED_OVER", "carry_over", "with_fields"]

#: Why a carried-over bid is open at a new generation (the bid manager's log says it).
CARRIED_OVER = "carried over from the previous version"

#: Books a spec as a bid's next generation; answers the record to save.
Rebook = Callable[[BidRecord, NewOrder, str], BidRecord]


def carry_over(store: BidStore, rebook: Rebook, validity_ms: int) -> None:
    """Carry the previous version's bids in ``store`` over to the book, then drop its tables
    (nothing to do on a file without them)."""
    records = [
        rebook(record, bid.new_order(validity_ms), CARRIED_OVER)
        if record.state is BidState.OPEN
        else record
        for record, bid in store.legacy_bids()
    ]
    with store.atomic():
        for record in records:
            store.save_bid(record)
        store.drop_legacy()


def with_fields(spec: NewOrder, record: BidRecord, sent: object, validity_ms: int) -> NewOrder:
    """``spec``, the bid's current order, to book again. An order the previous version
    booked carries no fields; a bid it had contracted is booked again when its ``/match``
    is refused, with the fields the letter ``sent`` for it, so the fresh order names its
    bid and its matches are heard."""
    if spec.attributes or not isinstance(sent, Mapping):
        return spec
    side = TransactionType(record.key.partition(":")[0])
    return Bid.parse(sent, side).new_order(validity_ms)
