"""The gateway's offers: each bound to one request, paid for once, and how it ended.

An offer is ``offered`` until a proof claims it (``used``, in one conditional
update, so two requests racing with one proof cannot both pass), then ``paid``
(the hold released) or ``refunded`` (the upstream failed). The file is private
(0600, folder 0700): it holds the offers' secrets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plaza.sqlite import SqliteFile

__all__ = ["GatewayBook", "StoredOffer"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS offers (
        offer_id BLOB PRIMARY KEY, digest BLOB NOT NULL, secret BLOB NOT NULL,
        hashlock BLOB NOT NULL, price INTEGER NOT NULL, deadline_ms INTEGER NOT NULL,
        state TEXT NOT NULL, hold_id BLOB UNIQUE, status INTEGER, created_ms INTEGER NOT NULL)""",
)
_SELECT = (
    "SELECT offer_id, digest, secret, hashlock, price, deadline_ms, state, hold_id, status, "
    "created_ms FROM offers"
)


@dataclass(frozen=True, slots=True)
class StoredOffer:
    offer_id: bytes
    digest: bytes
    secret: bytes
    hashlock: bytes
    price: int
    deadline_ms: int
    state: str
    hold_id: bytes | None
    status: int | None
    created_ms: int

    def __repr__(self) -> str:
        return f"StoredOffer(offer_id={self.offer_id.hex()}, state={self.state})"


def _offer(row: tuple[Any, ...]) -> StoredOffer:
    offer_id, digest, secret, hashlock, price, deadline, state, hold_id, status, created = row
    return StoredOffer(
        bytes(offer_id),
        bytes(digest),
        bytes(secret),
        bytes(hashlock),
        price,
        deadline,
        state,
        None if hold_id is None else bytes(hold_id),
        status,
        created,
    )


class GatewayBook:
    def __init__(self, path: Path) -> None:
        self._db = SqliteFile(path, _SCHEMA, label="gateway book")

    def close(self) -> None:
        self._db.close()

    def save(self, offer: StoredOffer) -> None:
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO offers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    offer.offer_id,
                    offer.digest,
                    offer.secret,
                    offer.hashlock,
                    offer.price,
                    offer.deadline_ms,
                    offer.state,
                    offer.hold_id,
                    offer.status,
                    offer.created_ms,
                ),
            )

    def get(self, offer_id: bytes) -> StoredOffer | None:
        row = self._db.row(_SELECT + " WHERE offer_id = ?", (offer_id,))
        return None if row is None else _offer(row)

    def claim(self, offer_id: bytes, hold_id: bytes) -> bool:
        """Mark the offer used by ``hold_id``; False if it was used already (by any hold)."""
        with self._db.write() as conn:
            taken = conn.execute("SELECT 1 FROM offers WHERE hold_id = ?", (hold_id,)).fetchone()
            if taken is not None:
                return False
            cursor = conn.execute(
                "UPDATE offers SET state = 'used', hold_id = ? "
                "WHERE offer_id = ? AND state = 'offered'",
                (hold_id, offer_id),
            )
        return cursor.rowcount == 1

    def finish(self, offer_id: bytes, state: str, status: int) -> None:
        with self._db.write() as conn:
            conn.execute(
                "UPDATE offers SET state = ?, status = ? WHERE offer_id = ?",
                (state, status, offer_id),
            )

    def usage(self) -> dict[str, int]:
        """Offers by state, and the revenue of those paid: what ``GET /.plaza/usage`` shows."""
        rows = self._db.rows("SELECT state, COUNT(*), SUM(price) FROM offers GROUP BY state")
        usage = {str(state): int(count) for state, count, _ in rows}
        usage["revenue"] = sum(int(total) for state, _, total in rows if state == "paid")
        return usage
