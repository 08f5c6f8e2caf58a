"""What an owner sees of a device's transactions: pages of them, and each one's twin.

The seed's transactions tab filters by latest status and by a piece of the
transaction id, newest first, each with every state the device reported; a
transaction's digital twin is read back from the ledger and each reported state
marked as on it or not (the seed's "verify the event against the Tangle").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plaza.energy.envelope import ModuleKey
from plaza.energy.errors import InvalidMessage, UnknownRecord
from plaza.energy.ledger import LedgerAccess
from plaza.energy.model import TransactionStatus
from plaza.energy.owner.ports import OwnerStore
from plaza.energy.owner.records import Device, DeviceEvent, TransactionPage
from plaza.energy.twins import parse_reader_key, read_twin
from plaza.market.twins.records import TwinAudit, TwinEntry

__all__ = ["MAX_PAGE", "MAX_PER_PAGE", "TransactionQuery", "transactions_page", "twin_report"]

MAX_PER_PAGE = 100
#: The last page asked for: its offset stays far inside SQLite's 64-bit integers.
MAX_PAGE = 1_000_000_000


@dataclass(frozen=True, slots=True)
class TransactionQuery:
    """Which page of a device's transactions: by latest ``status``, by a piece of the id."""

    status: str | None = None
    search: str | None = None
    page: int = 1
    per_page: int = 10


def transactions_page(
    store: OwnerStore, device_id: str, query: TransactionQuery
) -> TransactionPage:
    """One page of the device's transactions; a bad status or page is refused."""
    if query.status is not None and query.status not in set(TransactionStatus):
        raise InvalidMessage(f"status must be one of {', '.join(map(repr, TransactionStatus))}")
    if not 1 <= query.page <= MAX_PAGE or not 1 <= query.per_page <= MAX_PER_PAGE:
        raise InvalidMessage(
            f"page is 1 to {MAX_PAGE:_} and per_page is 1 to {MAX_PER_PAGE}".replace("_", ",")
        )
    total, found = store.transactions(
        device_id,
        status=query.status,
        search=query.search,
        limit=query.per_page,
        offset=(query.page - 1) * query.per_page,
    )
    return TransactionPage(total, query.page, query.per_page, found)


def twin_report(
    ledger: LedgerAccess, device: Device, transaction_id: str, events: list[DeviceEvent]
) -> dict[str, Any]:
    """The transaction's twin read from the ledger, and whether each reported state is on it."""
    if not events:
        raise UnknownRecord(f"no transaction {transaction_id!r} on this device")
    signer = ModuleKey.from_text(device.public_key).signing
    key = parse_reader_key(events[-1].twin)
    entries, problems = read_twin(ledger.ledger, key, signer, ledger.confirmed)
    return {
        "transactionId": transaction_id,
        **TwinAudit(tuple(entries), tuple(problems)).to_json(),
        "events": [
            {**event.to_json(), "number": number, **_on_twin(event, entries)}
            for number, event in enumerate(events, start=1)
        ],
    }


def _on_twin(event: DeviceEvent, entries: list[TwinEntry]) -> dict[str, Any]:
    """Where the reported state is on the twin read back: its position, message and whether
    a milestone confirmed it (the seed's per-event "verify against the Tangle")."""
    state = event.transaction.to_json()
    found = next((entry for entry in entries if entry.state == state), None)
    if found is None:
        return {"onTwin": False, "position": None, "messageId": None, "confirmed": False}
    return {
        "onTwin": True,
        "position": found.position,
        "messageId": found.message_id,
        "confirmed": found.confirmed,
    }
